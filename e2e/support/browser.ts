/**
 * Chromium helpers for e2e tests: launch Debian's Chromium through playwright-core (never
 * `npx playwright install`), open the viewer page, wait for decoded frames, read pixels of the
 * playing video.
 *
 * Serve pages from http://127.0.0.1 (a secure context: WebCodecs and friends need it).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Chromium's path on Debian (`apt-get install chromium`). */
export const CHROMIUM_PATH = process.env.ZEROCAST_CHROMIUM ?? '/usr/bin/chromium';

/** The flags every e2e Chromium runs with (headless, no sandbox in containers, no GPU, quiet). */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];

/** A launched Chromium with a fresh profile. */
export interface LaunchedChromium {
  /** The (persistent, fresh) browser context; open pages with `context.newPage()`. */
  readonly context: BrowserContext;
  /** Closes the browser and deletes its profile directory. */
  close(): Promise<void>;
}

/**
 * Launches headless Chromium with a fresh `--user-data-dir` (a temporary directory, removed on
 * close) and {@link CHROMIUM_ARGS} plus `extraArgs`.
 * @throws Error when Chromium is not at {@link CHROMIUM_PATH}.
 */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<LaunchedChromium> {
  const profile = await mkdtemp(join(tmpdir(), 'zerocast-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    viewport: { width: 960, height: 540 },
  });
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Opens the viewer page in a new tab.
 * @param baseUrl The server's base URL, e.g. `http://127.0.0.1:8080`.
 * @param token Access token, passed as `?token=`.
 * @returns The page (its console errors are forwarded to the test's stderr).
 */
export async function openViewer(
  context: BrowserContext,
  baseUrl: string,
  token?: string,
): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') process.stderr.write(`[viewer console] ${m.text()}\n`);
  });
  page.on('pageerror', (e) => process.stderr.write(`[viewer pageerror] ${e.message}\n`));
  const url = new URL('/', baseUrl);
  if (token) url.searchParams.set('token', token);
  await page.goto(url.href);
  return page;
}

/** Frames the viewer page has decoded (`window.zerocastViewer.framesDecoded()`), 0 before start. */
export async function framesDecoded(page: Page): Promise<number> {
  return page.evaluate(() => {
    const v = (window as unknown as { zerocastViewer?: { framesDecoded(): number } })
      .zerocastViewer;
    return v ? v.framesDecoded() : 0;
  });
}

/** The viewer page's state (`connecting`, `playing`, `error`, `stopped`). */
export async function viewerState(page: Page): Promise<string> {
  return page.evaluate(
    () => (window as unknown as { zerocastViewer?: { state: string } }).zerocastViewer?.state ?? '',
  );
}

/**
 * Waits until the viewer page has decoded at least `count` frames.
 * @returns The frame count reached.
 * @throws Error after `timeoutMs` (default 60 s) with the count, state and last error.
 */
export async function waitForFrames(
  page: Page,
  count: number,
  timeoutMs = 60_000,
): Promise<number> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const n = await framesDecoded(page);
    if (n >= count) return n;
    if (Date.now() > end) {
      const info = await page.evaluate(() => {
        const v = (window as unknown as { zerocastViewer?: { state: string; lastError?: string } })
          .zerocastViewer;
        return `${v?.state ?? '?'} (${v?.lastError ?? 'no error'})`;
      });
      throw new Error(`viewer decoded ${n}/${count} frames in ${timeoutMs} ms; state ${info}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A point of the video frame, in pixels of the decoded picture (videoWidth × videoHeight). */
export interface SamplePoint {
  readonly x: number;
  readonly y: number;
}

/** Average colour of a sampled box, 0..255 per channel. */
export interface SampledColour {
  readonly r: number;
  readonly g: number;
  readonly b: number;
}

/**
 * Reads colours of the current video frame: draws the `<video>` at its intrinsic size into a
 * canvas (`drawImage`) and averages a (2·radius+1)² box around each point.
 * @param points Points in decoded-picture pixels.
 * @param radius Box half-size in pixels (default 2; 0 samples one pixel).
 * @param selector The video element (default `video`).
 * @throws Error when the video has no frame yet.
 */
export async function sampleVideoPixels(
  page: Page,
  points: readonly SamplePoint[],
  radius = 2,
  selector = 'video',
): Promise<SampledColour[]> {
  return page.evaluate(
    ({ points, radius, selector }) => {
      const video = document.querySelector(selector) as HTMLVideoElement | null;
      if (!video || video.videoWidth === 0) throw new Error('the video has no frame yet');
      const canvas = document.createElement('canvas');
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      const ctx = canvas.getContext('2d', { willReadFrequently: true });
      if (!ctx) throw new Error('no 2d context');
      ctx.drawImage(video, 0, 0);
      return points.map(({ x, y }) => {
        const x0 = Math.max(0, Math.round(x) - radius);
        const y0 = Math.max(0, Math.round(y) - radius);
        const w = Math.min(canvas.width - x0, 2 * radius + 1);
        const h = Math.min(canvas.height - y0, 2 * radius + 1);
        const d = ctx.getImageData(x0, y0, w, h).data;
        let r = 0;
        let g = 0;
        let b = 0;
        const n = d.length / 4;
        for (let i = 0; i < d.length; i += 4) {
          r += d[i]!;
          g += d[i + 1]!;
          b += d[i + 2]!;
        }
        return { r: r / n, g: g / n, b: b / n };
      });
    },
    { points, radius, selector },
  );
}

/**
 * Captures the current video frame at its intrinsic size as a PNG (canvas `drawImage` +
 * `toDataURL`), e.g. to compare successive frames or keep as a test artifact.
 * @throws Error when the video has no frame yet.
 */
export async function captureVideoFrame(page: Page, selector = 'video'): Promise<Buffer> {
  const dataUrl = await page.evaluate((selector) => {
    const video = document.querySelector(selector) as HTMLVideoElement | null;
    if (!video || video.videoWidth === 0) throw new Error('the video has no frame yet');
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext('2d')?.drawImage(video, 0, 0);
    return canvas.toDataURL('image/png');
  }, selector);
  return Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64');
}

/** The decoded picture's size (`videoWidth` × `videoHeight`), 0×0 before the first frame. */
export async function videoSize(
  page: Page,
  selector = 'video',
): Promise<{ width: number; height: number }> {
  return page.evaluate((selector) => {
    const v = document.querySelector(selector) as HTMLVideoElement | null;
    return { width: v?.videoWidth ?? 0, height: v?.videoHeight ?? 0 };
  }, selector);
}
