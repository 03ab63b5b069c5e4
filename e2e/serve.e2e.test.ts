/**
 * The main job end to end: the real `serve` CLI (GPU render on lavapipe or a real GPU → NV12 →
 * OpenH264 → WHEP) watched by Debian Chromium through the viewer page.
 */
import { pngMeanDiff, pngStats } from './support/png.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  captureVideoFrame,
  framesDecoded,
  launchChromium,
  openViewer,
  sampleVideoPixels,
  waitForFrames,
  type LaunchedChromium,
} from './support/browser.ts';
import {
  freePort,
  runServe,
  startServe,
  startServeProcess,
  type ServeProcess,
} from './support/serve-process.ts';
import {
  barCenter,
  COUNTER_BITS,
  counterCellCenter,
  TEST_PATTERN_BARS,
} from '../main/scenes/test-pattern.ts';
import type { Page } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNoVncPage } from './support/rfb-novnc-page.ts';
import { readSnapshot, vncsnapshot } from './support/vncsnapshot.ts';

/** The bar centres of the test pattern with their sRGB values. */
function barPoints(
  width: number,
  height: number,
): { x: number; y: number; rgb: readonly number[] }[] {
  return TEST_PATTERN_BARS.map((bar, i) => {
    const [x, y] = barCenter(i, width, height);
    return { x, y, rgb: bar.rgb };
  });
}

/** Reads the test pattern's frame counter from the viewer's current video frame. */
async function readCounterFromVideo(page: Page, width: number, height: number): Promise<number> {
  const points = Array.from({ length: COUNTER_BITS }, (_, bit) => {
    const [x, y] = counterCellCenter(bit, width, height);
    return { x, y };
  });
  const colours = await sampleVideoPixels(page, points, 3);
  return colours.reduce(
    (value, { r, g, b }, bit) =>
      0.2126 * r + 0.7152 * g + 0.0722 * b > 128 ? value | (1 << bit) : value,
    0,
  );
}

describe('npm run serve (no arguments): the Quick start command', () => {
  let serve: ServeProcess;
  let browser: LaunchedChromium;
  beforeAll(async () => {
    serve = await startServeProcess('npm', ['run', '--silent', 'serve']);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await serve?.stop('SIGKILL');
  });

  it('prints the viewer URL, the WHEP endpoint and the adapter, on loopback without a token', () => {
    const out = serve.output();
    expect(out).toMatch(/streaming "showroom" at 1280x720, 60 fps, 6\.0 Mbit\/s/);
    expect(out).toMatch(/WHEP endpoint: http:\/\/127\.0\.0\.1:8080\/whep/);
    expect(out).toMatch(/GPU adapter: {3}\S/);
    expect(out).toMatch(/RFB \(VNC\): {5}vnc:\/\/127\.0\.0\.1:5900/);
    expect(serve.token).toBeUndefined();
  });

  it('Chromium at the printed URL sees the scene move', async () => {
    const page = await openViewer(browser.context, serve.viewerUrl);
    await waitForFrames(page, 20, 90_000);
    const first = await captureVideoFrame(page);
    const before = await framesDecoded(page);
    const deadline = Date.now() + 30_000;
    while ((await framesDecoded(page)) < before + 10 && Date.now() < deadline) {
      await page.waitForTimeout(200);
    }
    const second = await captureVideoFrame(page);
    const meanDiff = pngMeanDiff(first, second);
    const { lumaStdDev } = pngStats(second);
    console.log(
      `showroom: successive frames differ by ${meanDiff.toFixed(2)} per channel; luma spread ${lumaStdDev.toFixed(1)}`,
    );
    expect(lumaStdDev, 'the frame is not blank').toBeGreaterThan(10);
    expect(meanDiff, 'the scene moves').toBeGreaterThan(0.5);
    await page.close();
  });

  it('shuts down cleanly on Ctrl-C (SIGINT to the process group)', async () => {
    await serve.stop('SIGINT');
    // npm itself re-raises the signal; Zerocast's own process logs a complete shutdown.
    await serve.waitForOutput(/stopped/, 30_000);
    expect(serve.output()).toMatch(/shutting down/);
  });
});

describe('the test pattern through WHEP', () => {
  const width = 640;
  const height = 360;
  let serve: ServeProcess;
  let browser: LaunchedChromium;
  let rfbPort = 0;
  beforeAll(async () => {
    rfbPort = await freePort();
    serve = await startServe([
      '--scene',
      'test-pattern',
      '--size',
      `${width}x${height}`,
      '--fps',
      '30',
      '--port',
      '0',
      '--rfb-port',
      String(rfbPort),
    ]);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
  });

  it('two viewers decode >= 120 frames; bars within ±12; the counter advances; one leaving does not disturb the other', async () => {
    const a = await openViewer(browser.context, serve.base);
    const b = await openViewer(browser.context, serve.base);
    await waitForFrames(a, 120, 120_000);
    await waitForFrames(b, 120, 120_000);

    const points = TEST_PATTERN_BARS.map((_, i) => {
      const [x, y] = barCenter(i, width, height);
      return { x, y };
    });
    const colours = await sampleVideoPixels(a, points, 4);
    let worst = 0;
    colours.forEach((c, i) => {
      const want = TEST_PATTERN_BARS[i]!.rgb;
      const got = [c.r, c.g, c.b];
      for (let ch = 0; ch < 3; ch++) worst = Math.max(worst, Math.abs(got[ch]! - want[ch]!));
    });
    console.log(
      `test pattern bars: worst channel error ${worst.toFixed(1)} (limit 12): ` +
        colours
          .map(
            (c, i) =>
              `${TEST_PATTERN_BARS[i]!.name} ${[c.r, c.g, c.b].map((v) => v.toFixed(0)).join('/')}`,
          )
          .join(', '),
    );
    expect(worst).toBeLessThanOrEqual(12);

    const c1 = await readCounterFromVideo(a, width, height);
    await a.waitForTimeout(1500);
    const c2 = await readCounterFromVideo(a, width, height);
    console.log(`frame counter: ${c1} → ${c2}`);
    expect(c2).toBeGreaterThan(c1);

    await b.close();
    const afterLeave = await framesDecoded(a);
    await waitForFrames(a, afterLeave + 45, 60_000);
    expect(await framesDecoded(a)).toBeGreaterThanOrEqual(afterLeave + 45);
    await a.close();
  });

  it('a malformed or oversized SDP offer gets a 4xx with a message while a viewer keeps decoding', async () => {
    const page = await openViewer(browser.context, serve.base);
    await waitForFrames(page, 10, 60_000);
    const malformed = await fetch(`${serve.base}/whep`, {
      method: 'POST',
      headers: { 'content-type': 'application/sdp' },
      body: 'this is not SDP',
    });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: string }).error.length).toBeGreaterThan(0);
    const oversized = await fetch(`${serve.base}/whep`, {
      method: 'POST',
      headers: { 'content-type': 'application/sdp' },
      body: `v=0\r\n${'a=x\r\n'.repeat(40_000)}`,
    });
    expect(oversized.status).toBe(413);
    const before = await framesDecoded(page);
    await waitForFrames(page, before + 30, 60_000);
    await page.close();
  });

  it("noVNC 1.7 over serve's /rfb WebSocket negotiates Open H.264 and shows the bars within ±12", async () => {
    const novnc = await startNoVncPage({});
    const page = await browser.context.newPage();
    try {
      await page.goto(
        `${novnc.url}?url=${encodeURIComponent(`${serve.base.replace('http', 'ws')}/rfb`)}`,
      );
      const points = barPoints(width, height);
      let worst = Infinity;
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        const px = await page.evaluate((pts) => {
          const canvas = document.querySelector('#screen canvas') as HTMLCanvasElement | null;
          if (!canvas || canvas.width === 0) return null;
          const ctx = canvas.getContext('2d')!;
          return pts.map((p) => Array.from(ctx.getImageData(p.x, p.y, 1, 1).data.slice(0, 3)));
        }, points);
        if (px) {
          worst = Math.max(
            ...px.flatMap((c, i) => c.map((v, k) => Math.abs(v - points[i]!.rgb[k]!))),
          );
          if (worst <= 12) break;
        }
        await page.waitForTimeout(250);
      }
      console.log(`noVNC via serve: worst channel error ${worst}`);
      expect(worst).toBeLessThanOrEqual(12);
      const status = (await (await fetch(`${serve.base}/api/status`)).json()) as {
        outputs: { rfb?: { clients: number; encodings?: Record<string, number> } };
      };
      expect(status.outputs.rfb?.clients).toBeGreaterThanOrEqual(1);
      expect(status.outputs.rfb?.encodings?.h264).toBeGreaterThanOrEqual(1);
    } finally {
      await page.close();
      await novnc.close();
    }
  });

  it('vncsnapshot over TCP (ZRLE) takes a JPEG whose bars match within ±16', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zerocast-serve-vnc-'));
    try {
      const file = join(dir, 'snap.jpg');
      await vncsnapshot(rfbPort, file, 'zrle');
      const img = readSnapshot(file);
      expect([img.width, img.height]).toEqual([width, height]);
      let worst = 0;
      for (const p of barPoints(width, height)) {
        const o = (p.y * img.width + p.x) * 4;
        for (let k = 0; k < 3; k++) worst = Math.max(worst, Math.abs(img.data[o + k]! - p.rgb[k]!));
      }
      console.log(`vncsnapshot via serve: worst channel error ${worst}`);
      expect(worst).toBeLessThanOrEqual(16);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serves frame timing with every stage', async () => {
    const res = await fetch(`${serve.base}/api/timing?count=30`);
    const records = (await res.json()) as { stages: Record<string, number> }[];
    expect(records.length).toBeGreaterThan(0);
    const full = records.filter((r) =>
      ['render', 'convert', 'readback', 'encode', 'send'].every(
        (s) => typeof r.stages[s] === 'number',
      ),
    );
    expect(full.length).toBeGreaterThan(0);
  });
  it('exits 0 after a clean shutdown on SIGTERM', async () => {
    const code = await serve.stop('SIGTERM');
    expect(serve.output()).toMatch(/stopped/);
    expect(code).toBe(0);
  });
});

describe('serve refuses bad set-ups with a clear error', () => {
  it('an unknown scene: a CLI error listing the scenes', async () => {
    const { code, output } = await runServe(['--scene', 'nope']);
    expect(code).not.toBe(0);
    expect(output).toMatch(/unknown scene "nope"; built-in scenes: showroom, swarm, test-pattern/);
  });

  it('no usable GPU adapter: an error naming what to install', async () => {
    const missing = '/nonexistent/zerocast-no-icd.json';
    const { code, output } = await runServe(['--port', '0', '--rfb-port', '0'], {
      VK_DRIVER_FILES: missing,
      VK_ICD_FILENAMES: missing,
    });
    expect(code).not.toBe(0);
    expect(output).toMatch(/mesa-vulkan-drivers/);
  });

  it('a port in use: an error naming the option to change', async () => {
    const blocker = createNetServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      const { code, output } = await runServe([
        '--port',
        String(port),
        '--rfb-port',
        '0',
        '--size',
        '320x180',
        '--scene',
        'test-pattern',
      ]);
      expect(code).not.toBe(0);
      expect(output).toMatch(new RegExp(`127\\.0\\.0\\.1:${port} is already in use .*--port`));
    } finally {
      blocker.close();
    }
  });

  it('off loopback: a generated token is printed and required (401 without it)', async () => {
    const serve = await startServe([
      '--host',
      '0.0.0.0',
      '--port',
      '0',
      '--rfb-port',
      '0',
      '--scene',
      'test-pattern',
      '--size',
      '320x180',
      '--fps',
      '15',
    ]);
    try {
      expect(serve.token).toBeDefined();
      const port = new URL(serve.base).port;
      const base = `http://127.0.0.1:${port}`;
      expect((await fetch(`${base}/api/status`)).status).toBe(401);
      const whep = await fetch(`${base}/whep`, {
        method: 'POST',
        headers: { 'content-type': 'application/sdp' },
        body: 'v=0\r\n',
      });
      expect(whep.status).toBe(401);
      const ok = await fetch(`${base}/api/status`, {
        headers: { authorization: `Bearer ${serve.token}` },
      });
      expect(ok.status).toBe(200);
    } finally {
      await serve.stop();
    }
  });
});
