/**
 * The Zerocast UI end to end, in Debian's Chromium against the real engine and server
 * (`serve`, main/cli/serve.ts): scene switching changes the preview, a lower bitrate is followed by the
 * measured outgoing bitrate within 5 s, the debugger shows ≥ 100 frames with every stage, and the
 * exported trace is Chrome trace JSON with events for every stage. Writes a screenshot of each
 * main view to e2e/artifacts/ui-*.png.
 */
import { spawnSync } from 'node:child_process';
import { freePort, startServe, type ServeProcess } from './support/serve-process.ts';
import { pngMeanDiff, pngStats } from './support/png.ts';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Status } from '../main/api/schema.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './support/browser.ts';

const ARTIFACTS = 'e2e/artifacts';
const STAGES = ['render', 'convert', 'readback', 'encode', 'send'];

let serve: ServeProcess | undefined;
let base = '';
let context: BrowserContext;
let page: Page;
let profile = '';

async function status(): Promise<Status> {
  const res = await fetch(`${base}/api/status`);
  return Status.parse(await res.json());
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `ui-${name}.png`) });
}

async function go(view: string): Promise<void> {
  await page.click(`[data-testid=nav-${view}]`);
  await page.waitForSelector(`[data-testid=view-${view}]`);
}

async function waitDecoded(frames: number): Promise<void> {
  await page.waitForFunction((n) => (window.zerocastPreview?.framesDecoded() ?? 0) >= n, frames, {
    timeout: 60_000,
    polling: 250,
  });
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const build = spawnSync(
    process.execPath,
    [
      'node_modules/vite/bin/vite.js',
      'build',
      '--config',
      'renderer/app/vite.config.ts',
      '--logLevel',
      'warn',
    ],
    { encoding: 'utf8' },
  );
  if (build.status !== 0) throw new Error(`UI build failed:\n${build.stdout}${build.stderr}`);
  // The real `serve` (main/cli/serve.ts): one code path with the Quick start command.
  serve = await startServe([
    '--scene',
    'test-pattern',
    '--size',
    '640x360',
    '--fps',
    '30',
    '--port',
    '0',
    '--rfb-port',
    String(await freePort()),
  ]);
  base = serve.base;
  profile = mkdtempSync(join(tmpdir(), 'zerocast-ui-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS],
    viewport: { width: 1280, height: 800 },
    acceptDownloads: true,
  });
  page = await context.newPage();
  page.on('pageerror', (e) => console.error('[page error]', e.message));
  await page.goto(`${base}/app/#/scenes`);
  await page.waitForSelector('[data-testid=view-scenes]');
});

afterAll(async () => {
  await context?.close().catch(() => undefined);
  if (profile) rmSync(profile, { recursive: true, force: true });
  await serve?.stop('SIGTERM');
});

describe('Zerocast UI', () => {
  it('switches every built-in scene and the preview follows', async () => {
    await waitDecoded(30);
    const scenes = (await (await fetch(`${base}/api/scenes`)).json()) as { name: string }[];
    expect(scenes.length).toBeGreaterThanOrEqual(3);
    const shots = new Map<string, Buffer>();
    for (const { name } of scenes) {
      await page.click(`[data-testid=scene-${name}]`);
      await page.waitForFunction(
        (n) => document.querySelector('[data-testid=topbar-status]')?.textContent?.includes(n),
        name,
      );
      expect((await status()).settings.scene).toBe(name);
      // Let the new scene's frames reach the preview (next frames are already of the new scene;
      // wait for decoding to move on by a good margin).
      const before = await page.evaluate(() => window.zerocastPreview!.framesDecoded());
      await waitDecoded(before + 30);
      shots.set(name, await page.locator('[data-testid=preview-video]').screenshot());
    }
    // wait for thumbnails, then the scenes view screenshot
    await page.waitForFunction(
      () => document.querySelectorAll('.scene-thumb img').length >= 3,
      null,
      {
        timeout: 20_000,
      },
    );
    await page.click('[data-testid=scene-showroom]');
    await page.waitForTimeout(2500);
    await shot('scenes');
    const names = [...shots.keys()];
    for (const [name, png] of shots) {
      writeFileSync(join(ARTIFACTS, `ui-preview-${name}.png`), png);
      expect(pngStats(png).mean, `${name} preview is not blank`).toBeGreaterThan(8);
    }
    for (let i = 0; i < names.length; i++) {
      for (let j = i + 1; j < names.length; j++) {
        const d = pngMeanDiff(shots.get(names[i]!)!, shots.get(names[j]!)!);
        expect(d, `${names[i]} vs ${names[j]}`).toBeGreaterThan(5);
      }
    }
  });

  it("shows the server's message when a model does not load", async () => {
    await page.setInputFiles('[data-testid=model-input]', {
      name: 'broken.glb',
      mimeType: 'model/gltf-binary',
      buffer: Buffer.from('this is not a binary glTF file'),
    });
    const message = page.locator('[data-testid=scene-message]');
    await message.waitFor();
    const text = (await message.textContent()) ?? '';
    expect(text).toMatch(/^Could not load broken\.glb: \S/);
    console.log(`model upload error shown: ${text}`);
    // the stream is unharmed
    const before = await page.evaluate(() => window.zerocastPreview!.framesDecoded());
    await waitDecoded(before + 10);
  });

  it('applies a lower bitrate live and the outgoing bitrate follows within 5 s', async () => {
    await page.click('[data-testid=scene-swarm]');
    await go('stream');
    const setBitrate = async (mbps: string) => {
      await page.fill('[data-testid=setting-bitrate]', mbps);
      await page.click('[data-testid=settings-apply]');
      await page.waitForSelector('[data-testid=settings-message]');
    };
    if ((await status()).settings.bitrate !== 6_000_000) await setBitrate('6');
    expect((await status()).settings.bitrate).toBe(6_000_000);
    // Let the rate settle at 6 Mbit/s and measure it.
    await page.waitForTimeout(4000);
    const outgoing = async () => {
      const v = (await status()).outputs.whep.viewers;
      expect(v.length).toBeGreaterThanOrEqual(1);
      return Math.max(...v.map((x) => x.bitrate));
    };
    const high = await outgoing();
    await shot('stream');
    const t0 = Date.now();
    await setBitrate('1');
    expect((await status()).settings.bitrate).toBe(1_000_000);
    let low = high;
    const samples: number[] = [];
    while (Date.now() - t0 < 5000) {
      await new Promise((r) => setTimeout(r, 500));
      low = await outgoing();
      samples.push(low);
      if (low <= 1_300_000) break;
    }
    console.log(
      `outgoing bitrate at 6 Mbit/s: ${(high / 1e6).toFixed(2)} Mbit/s; after lowering to 1 Mbit/s: ${samples
        .map((s) => (s / 1e6).toFixed(2))
        .join(', ')} Mbit/s within ${Date.now() - t0} ms`,
    );
    expect(high).toBeGreaterThan(1_800_000);
    expect(low).toBeLessThanOrEqual(1_300_000);
    expect(Date.now() - t0).toBeLessThanOrEqual(5500);
  });

  it('shows the outputs with the viewer and its RTCP statistics', async () => {
    await go('outputs');
    await page.waitForFunction(
      () =>
        Number(document.querySelector('[data-testid=viewer-count] .stat-value')?.textContent) >= 1,
    );
    const link = await page.textContent('[data-testid=viewer-link] code');
    expect(link).toContain(`${base}/`);
    await page.waitForTimeout(1500);
    await shot('outputs');
  });

  it('debugs frame timing and exports a Chrome trace', async () => {
    await page.click('[data-testid=nav-scenes]');
    await page.click('[data-testid=scene-showroom]');
    await go('timing');
    await page.waitForFunction(
      (stages) =>
        stages.every(
          (s) =>
            Number(
              document
                .querySelector(`[data-testid=stage-${s}-count]`)
                ?.textContent?.replace(/,/g, ''),
            ) >= 100,
        ),
      STAGES,
      { timeout: 60_000, polling: 500 },
    );
    const frames = Number(
      (await page.textContent('[data-testid=timing-frames] .stat-value'))!.replace(/,/g, ''),
    );
    expect(frames).toBeGreaterThanOrEqual(100);
    await page.click('[data-testid=timing-pause]');
    // inspect one frame: click in the middle of the timeline
    const box = (await page.locator('[data-testid=timeline-chart] .u-over').boundingBox())!;
    await page.mouse.click(box.x + box.width * 0.6, box.y + box.height * 0.8);
    await page.waitForSelector('[data-testid=inspector]');
    await shot('timing');

    await page.fill('[data-testid=export-seconds]', '5');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('[data-testid=export-trace]'),
    ]);
    const path = join(ARTIFACTS, 'ui-trace.json');
    await download.saveAs(path);
    const trace = JSON.parse(readFileSync(path, 'utf8')) as {
      traceEvents: {
        name: string;
        ph: string;
        ts: number;
        dur?: number;
        pid: number;
        tid: number;
        cat: string;
      }[];
    };
    expect(Array.isArray(trace.traceEvents)).toBe(true);
    const complete = trace.traceEvents.filter((e) => e.ph === 'X');
    for (const e of complete) {
      expect(typeof e.name).toBe('string');
      expect(Number.isFinite(e.ts) && Number.isFinite(e.dur)).toBe(true);
      expect(Number.isInteger(e.pid) && Number.isInteger(e.tid)).toBe(true);
    }
    for (const stage of STAGES) {
      expect(complete.filter((e) => e.name === stage).length, stage).toBeGreaterThanOrEqual(50);
    }
    const span = Math.max(...complete.map((e) => e.ts)) - Math.min(...complete.map((e) => e.ts));
    expect(span).toBeLessThanOrEqual(5_100_000);
    await page.click('[data-testid=timing-pause]');
  });
});
