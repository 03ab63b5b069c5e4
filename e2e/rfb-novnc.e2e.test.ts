/**
 * e2e (issue 5): noVNC 1.7 in Chromium connects to the RFB server over WebSocket, negotiates
 * Open H.264 (encoding 50), and its canvas shows the test pattern's colour bars within ±12 per
 * channel; with VNC authentication the right password connects and a wrong one is refused.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RfbServer } from '../main/outputs/rfb/server.ts';
import { launchChromium, type LaunchedChromium } from './support/browser.ts';
import { startNoVncPage } from './support/rfb-novnc-page.ts';
import { TestPatternSource, barSamples } from './support/rfb-source.ts';

const W = 640;
const H = 360;
const PASSWORD = 'zer0cast';

let source: TestPatternSource;
let open: RfbServer;
let locked: RfbServer;
let zrleOnly: RfbServer;
let page: Awaited<ReturnType<typeof startNoVncPage>>;
let browser: LaunchedChromium;
let context: BrowserContext;
const warnings: string[] = [];
const pointer: [number, number, number][] = [];
const keys: [number, boolean][] = [];
const log = {
  info() {},
  debug() {},
  warn: (o: object, m: string) => warnings.push(`${m} ${JSON.stringify(o)}`),
};

beforeAll(async () => {
  source = new TestPatternSource({ width: W, height: H, fps: 30 });
  await source.start();
  open = new RfbServer({
    source,
    log,
    desktopName: 'open',
    interaction: true,
    input: {
      pointer: (x, y, mask) => pointer.push([x, y, mask]),
      key: (keysym, down) => keys.push([keysym, down]),
    },
  });
  locked = new RfbServer({ source, log, password: PASSWORD, desktopName: 'locked' });
  zrleOnly = new RfbServer({ source, log, h264: false });
  page = await startNoVncPage({ rfb: open, 'rfb-auth': locked, 'rfb-zrle': zrleOnly });
  browser = await launchChromium();
  context = browser.context;
});

afterAll(async () => {
  await browser?.close();
  await open?.close();
  await locked?.close();
  await zrleOnly?.close();
  await page?.close();
  source?.stop();
});

type RfbEvent = { type: string; detail: { status?: number; reason?: string; clean?: boolean } };

async function events(p: Page): Promise<RfbEvent[]> {
  return p.evaluate(() => (window as unknown as { __rfbEvents: RfbEvent[] }).__rfbEvents ?? []);
}

async function waitForEvent(p: Page, type: string, timeoutMs = 20_000): Promise<RfbEvent> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ev = (await events(p)).find((e) => e.type === type);
    if (ev) return ev;
    if (Date.now() > deadline) {
      throw new Error(`no ${type} event; got ${JSON.stringify(await events(p))}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Reads the canvas at the bar sample points; retries until within ±tolerance or timeout. */
async function expectBars(p: Page, tolerance: number): Promise<number> {
  const samples = barSamples(W, H);
  const deadline = Date.now() + 20_000;
  let worst = Infinity;
  let last: unknown;
  while (Date.now() < deadline) {
    const got = await p.evaluate((pts) => {
      const canvas = document.querySelector('#screen canvas') as HTMLCanvasElement | null;
      if (!canvas || canvas.width === 0) return null;
      const ctx = canvas.getContext('2d')!;
      return {
        size: [canvas.width, canvas.height],
        px: pts.map((s) => Array.from(ctx.getImageData(s.x, s.y, 1, 1).data.slice(0, 3))),
      };
    }, samples);
    last = got;
    if (got && got.size[0] === W && got.size[1] === H) {
      worst = 0;
      got.px.forEach((c, i) => {
        for (let k = 0; k < 3; k++) {
          worst = Math.max(worst, Math.abs(c[k]! - samples[i]!.rgb[k]!));
        }
      });
      if (worst <= tolerance) return worst;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`bars not within ±${tolerance} (worst ${worst}); last ${JSON.stringify(last)}`);
}

describe('noVNC over WebSocket', () => {
  it('negotiates Open H.264 and shows the colour bars within ±12', async () => {
    const p = await context.newPage();
    const consoleLines: string[] = [];
    p.on('console', (m) => consoleLines.push(m.text()));
    await p.goto(`${page.url}?path=rfb`);
    await waitForEvent(p, 'connect');
    const worst = await expectBars(p, 12);
    await new Promise((r) => setTimeout(r, 1000));
    const stats = open.clients.find((c) => c.transport === 'ws');
    expect(stats?.continuousUpdates).toBe(true);
    expect(stats?.encoding).toBe('h264');
    expect(stats?.framesSent).toBeGreaterThan(5);
    expect(stats?.version).toBe('3.8');
    expect(consoleLines.join('\n')).not.toMatch(/Failed to decode/);
    console.log(
      `noVNC H.264: worst channel error ${worst}, ${stats?.framesSent} access units sent`,
    );
    await p.close();
  });

  it('decodes ZRLE (when the server does not offer H.264) with the bars within ±12', async () => {
    const p = await context.newPage();
    await p.goto(`${page.url}?path=rfb-zrle`);
    await waitForEvent(p, 'connect');
    const worst = await expectBars(p, 12);
    const stats = zrleOnly.clients.find((c) => c.transport === 'ws');
    expect(stats?.encoding).toBe('zrle');
    expect(stats?.framesSent).toBeGreaterThan(0);
    console.log(`noVNC ZRLE: worst channel error ${worst}`);
    await p.close();
  });

  it('forwards noVNC pointer and key events to the input sink when interaction is on', async () => {
    const p = await context.newPage();
    await p.goto(`${page.url}?path=rfb&viewOnly=0`);
    await waitForEvent(p, 'connect');
    await expectBars(p, 12);
    const canvas = p.locator('#screen canvas');
    await canvas.click({ position: { x: 100, y: 50 } });
    await p.keyboard.press('a');
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && (keys.length < 2 || !pointer.some((e) => e[2] === 1))) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(pointer).toContainEqual([100, 50, 1]);
    expect(pointer).toContainEqual([100, 50, 0]);
    expect(keys).toEqual([
      [0x61, true],
      [0x61, false],
    ]);
    open.setInteraction(false);
    pointer.length = 0;
    await canvas.click({ position: { x: 10, y: 10 } });
    await new Promise((r) => setTimeout(r, 300));
    expect(pointer).toEqual([]);
    open.setInteraction(true);
    await p.close();
  });

  it('connects with the right VNC password', async () => {
    const p = await context.newPage();
    await p.goto(`${page.url}?path=rfb-auth&password=${PASSWORD}`);
    await waitForEvent(p, 'connect');
    await expectBars(p, 12);
    expect(locked.clients.some((c) => c.state === 'normal' && c.encoding === 'h264')).toBe(true);
    await p.close();
  });

  it('refuses a wrong VNC password with the 3.8 failure reason', async () => {
    const p = await context.newPage();
    await p.goto(`${page.url}?path=rfb-auth&password=wrong-one`);
    const ev = await waitForEvent(p, 'securityfailure');
    expect(ev.detail.status).toBe(1);
    expect(ev.detail.reason).toMatch(/Authentication failed/);
    expect((await events(p)).some((e) => e.type === 'connect')).toBe(false);
    await p.close();
  });
});
