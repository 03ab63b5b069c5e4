/**
 * WHEP in Chromium: the real HTTP server and WHEP output over the ffmpeg-made H.264 test source,
 * played by the real viewer page in Debian's Chromium (playwright-core).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  captureVideoFrame,
  framesDecoded,
  launchChromium,
  openViewer,
  sampleVideoPixels,
  videoSize,
  viewerState,
  waitForFrames,
  type LaunchedChromium,
} from './support/browser.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';
import { TEST_BARS_RGB } from '../main/encode/testframes.ts';

const TOKEN = 'e2e-secret-token';
let server: TestServer;
let chromium: LaunchedChromium;

beforeAll(async () => {
  server = await startTestServer({ token: TOKEN });
  chromium = await launchChromium();
});

afterAll(async () => {
  await chromium?.close();
  await server?.close();
});

async function rising(page: Page, more: number, timeoutMs = 30_000): Promise<void> {
  const start = await framesDecoded(page);
  await waitForFrames(page, start + more, timeoutMs);
}

async function closeAll(pages: Page[]): Promise<void> {
  for (const p of pages) await p.close().catch(() => undefined);
}

describe('WHEP viewer in Chromium', () => {
  it('decodes at least 120 frames of the stream', async () => {
    const page = await openViewer(chromium.context, server.url, TOKEN);
    try {
      expect(await waitForFrames(page, 120)).toBeGreaterThanOrEqual(120);
      expect(await viewerState(page)).toBe('playing');
      expect(await videoSize(page)).toEqual({ width: 640, height: 360 });
      // Not a blank picture: testsrc2 has many colours.
      const colours = await sampleVideoPixels(page, [
        { x: 40, y: 40 },
        { x: 320, y: 180 },
        { x: 600, y: 320 },
        { x: 160, y: 300 },
      ]);
      const spread =
        Math.max(...colours.map((c) => c.r + c.g + c.b)) -
        Math.min(...colours.map((c) => c.r + c.g + c.b));
      expect(spread).toBeGreaterThan(30);
      const png = await captureVideoFrame(page);
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
      // The server sees one connected viewer with traffic and receiver reports.
      const status = await (
        await fetch(`${server.url}/api/status`, { headers: { authorization: `Bearer ${TOKEN}` } })
      ).json();
      expect(status.viewerCount).toBe(1);
      expect(status.viewers[0]).toMatchObject({ state: 'connected' });
      expect(status.viewers[0].framesSent).toBeGreaterThanOrEqual(120);
      expect(status.viewers[0].keyframesSent).toBeGreaterThanOrEqual(1);
    } finally {
      await closeAll([page]);
    }
  });

  it('plays two viewers at once; one leaving (page closed, or DELETE) does not disturb the other', async () => {
    const a = await openViewer(chromium.context, server.url, TOKEN);
    const b = await openViewer(chromium.context, server.url, TOKEN);
    const c = await openViewer(chromium.context, server.url, TOKEN);
    try {
      await Promise.all([waitForFrames(a, 60), waitForFrames(b, 60), waitForFrames(c, 60)]);
      // b goes away abruptly: its page closes without a DELETE being guaranteed.
      await b.close();
      await rising(a, 60);
      await rising(c, 30);
      // c's session is ended by the server (WHEP DELETE by its URL).
      const sessionUrl = await c.evaluate(() => window.zerocastViewer.sessionUrl);
      expect(sessionUrl).toMatch(/\/whep\/[0-9a-f-]{36}$/);
      const del = await fetch(sessionUrl!, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(del.status).toBe(204);
      await rising(a, 60);
      expect(await viewerState(a)).toBe('playing');
    } finally {
      await closeAll([a, b, c]);
    }
  });

  it('answers a malformed SDP offer with 400 while a viewer keeps decoding', async () => {
    const page = await openViewer(chromium.context, server.url, TOKEN);
    try {
      await waitForFrames(page, 30);
      for (const body of ['v=0\r\nthis is not SDP\r\n', 'garbage', 'v=0\r\nm=video 9 x\r\n']) {
        const r = await fetch(server.whepUrl, {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/sdp' },
          body,
        });
        expect(r.status).toBe(400);
        expect((await r.json()).error).toMatch(/SDP/);
      }
      const big = await fetch(server.whepUrl, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/sdp' },
        body: 'v=0\r\n' + 'a=x:'.padEnd(100_000, 'x') + '\r\n',
      });
      expect(big.status).toBe(413);
      await rising(page, 60);
    } finally {
      await closeAll([page]);
    }
  });

  it('reproduces SMPTE colour bars through WHEP + canvas sampling (BT.709 signalled)', async () => {
    // A second server streaming ffmpeg's smptebars (75 % bars), BT.709 limited range, VUI set.
    const bars = await startTestServer({ stream: { pattern: 'smptebars', colour: 'bt709' } });
    const page = await openViewer(chromium.context, bars.url);
    try {
      await waitForFrames(page, 20);
      const expected = TEST_BARS_RGB.slice(0, 7); // smptebars' top row has no black bar
      const points = expected.map((_, i) => ({ x: ((i + 0.5) * 640) / 7, y: 100 }));
      const got = await sampleVideoPixels(page, points, 3);
      // Measured: every channel within 12 of the bar (the largest, blue of the last bar, is
      // ffmpeg's own BT.601 → BT.709 conversion of its smptebars source); 14 leaves margin.
      got.forEach((c, i) => {
        const [r, g, b] = expected[i]!;
        expect(Math.abs(c.r - r), `bar ${i} R`).toBeLessThanOrEqual(14);
        expect(Math.abs(c.g - g), `bar ${i} G`).toBeLessThanOrEqual(14);
        expect(Math.abs(c.b - b), `bar ${i} B`).toBeLessThanOrEqual(14);
      });
    } finally {
      await closeAll([page]);
      await bars.close();
    }
  });

  it('refuses WHEP without the token (401) and the page without ?token= reports the error', async () => {
    const r = await fetch(server.whepUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/sdp' },
      body: 'v=0\r\n',
    });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const page = await openViewer(chromium.context, server.url);
    try {
      await expect
        .poll(() => page.evaluate(() => window.zerocastViewer.lastError ?? ''), { timeout: 15_000 })
        .toMatch(/401/);
      expect(await framesDecoded(page)).toBe(0);
    } finally {
      await closeAll([page]);
    }
  });
});
