/**
 * glTF through `serve`: a .glb made by the project's own test code (skinned, morph-targeted, PNG and
 * JPEG textures; e2e/support/conformance-glb.ts) is streamed by `serve model.glb` and seen by
 * Chromium in the WHEP viewer: the textured model is on screen, framed, and moving; then a model
 * uploaded with `POST /api/model` replaces it live, and a broken upload gets a 422.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  captureVideoFrame,
  framesDecoded,
  launchChromium,
  openViewer,
  waitForFrames,
  type LaunchedChromium,
} from './support/browser.ts';
import { buildTestModel } from './support/conformance-glb.ts';
import { startServe, type ServeProcess } from './support/serve-process.ts';
import { pngMeanDiff } from './support/png.ts';

/** The viewer's first captured frame is kept here (e2e/artifacts/gltf/viewer-frame.png). */
const ARTIFACTS = new URL('./artifacts/gltf/', import.meta.url).pathname;

/** Counts pixels of the model's colours: the tube's orange and blue stripes and the green ground. */
function modelPixels(png: Buffer): { orange: number; blue: number; green: number; total: number } {
  const p = PNG.sync.read(png);
  let orange = 0;
  let blue = 0;
  let green = 0;
  for (let i = 0; i < p.data.length; i += 4) {
    const r = p.data[i]!;
    const g = p.data[i + 1]!;
    const b = p.data[i + 2]!;
    if (r > 150 && g > 50 && g < 180 && b < 100 && r - g > 50) orange++;
    if (b > 110 && b - r > 60 && b - g > 40) blue++;
    if (g > 90 && g - r > 25 && g - b > 25) green++;
  }
  return { orange, blue, green, total: p.width * p.height };
}

describe('serve model.glb: a skinned, textured glTF made by test code, seen in a WHEP viewer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zerocast-gltf-'));
  const file = join(dir, 'zerocast-test-model.glb');
  const glb = buildTestModel();
  let serve: ServeProcess;
  let browser: LaunchedChromium;

  beforeAll(async () => {
    writeFileSync(file, glb);
    serve = await startServe([
      file,
      '--size',
      '640x360',
      '--fps',
      '30',
      '--port',
      '0',
      '--rfb-port',
      '0',
    ]);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints that it streams the model and reports it as the scene', async () => {
    expect(serve.output()).toContain(`streaming the model ${file}`);
    const status = (await (await fetch(`${serve.base}/api/status`)).json()) as {
      settings: { scene: string };
    };
    expect(status.settings.scene).toBe('zerocast-test-model');
  });

  it('Chromium sees the textured model, framed, animated and orbited', async () => {
    const page = await openViewer(browser.context, serve.viewerUrl);
    await waitForFrames(page, 20, 90_000);
    const first = await captureVideoFrame(page);
    const before = await framesDecoded(page);
    const deadline = Date.now() + 30_000;
    while ((await framesDecoded(page)) < before + 15 && Date.now() < deadline) {
      await page.waitForTimeout(200);
    }
    const second = await captureVideoFrame(page);
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'viewer-frame.png'), first);
    const px = modelPixels(first);
    const moved = pngMeanDiff(first, second);
    console.log(
      `glTF model in the viewer: ${JSON.stringify(px)}; successive frames differ by ${moved.toFixed(2)}`,
    );
    // The PNG texture's stripes (orange and blue) and the JPEG ground (green) are all visible...
    expect(px.orange / px.total).toBeGreaterThan(0.005);
    expect(px.blue / px.total).toBeGreaterThan(0.002);
    expect(px.green / px.total).toBeGreaterThan(0.02);
    // ...and the framing keeps the model in view without filling the frame with it.
    expect((px.orange + px.blue + px.green) / px.total).toBeLessThan(0.9);
    expect(moved, 'the camera orbits and the model animates').toBeGreaterThan(0.5);
    await page.close();
  });

  it('POST /api/model swaps in an uploaded .glb live; a broken upload gets 422 and streaming goes on', async () => {
    const ok = await fetch(`${serve.base}/api/model`, {
      method: 'POST',
      headers: { 'content-type': 'model/gltf-binary' },
      body: Buffer.from(glb),
    });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { settings: { scene: string } }).settings.scene).toBe(
      'uploaded-model',
    );
    const bad = await fetch(`${serve.base}/api/model`, {
      method: 'POST',
      headers: { 'content-type': 'model/gltf-binary' },
      body: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
    });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { error: string }).error).toMatch(/glTF/);
    const page = await openViewer(browser.context, serve.viewerUrl);
    await waitForFrames(page, 10, 90_000);
    const px = modelPixels(await captureVideoFrame(page));
    expect(px.orange / px.total).toBeGreaterThan(0.005);
    await page.close();
  });
});
