/**
 * The Chromium reference renderer of the conformance suite: bundles e2e/conformance/browser-entry.ts
 * with esbuild, serves it from http://127.0.0.1, launches Debian's Chromium (playwright-core) with
 * WebGPU on SwiftShader — exactly the flags the design notes found to work — and renders scenes.
 */
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_PATH } from './browser.ts';
import type { RgbaImage } from './conformance-metrics.ts';

/** WebGPU on SwiftShader (the only set that works with canvas output here) + the usual headless flags. */
export const CONFORMANCE_CHROMIUM_ARGS: readonly string[] = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-angle=vulkan',
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A Chromium page ready to render conformance scenes; {@link ChromiumReference.close} frees all. */
export interface ChromiumReference {
  readonly names: string[];
  readonly adapter: string;
  /** Renders one scene in Chromium and returns its RGBA pixels. */
  render(name: string): Promise<RgbaImage>;
  close(): Promise<void>;
}

/** Bundles the page script (ESM, browser platform, minified away nothing: readable stacks). */
async function bundle(): Promise<string> {
  const out = await build({
    entryPoints: [new URL('../conformance/browser-entry.ts', import.meta.url).pathname],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    write: false,
    logLevel: 'error',
  });
  return out.outputFiles[0]!.text;
}

/**
 * Starts the page server and Chromium.
 * @param glb The test model, served at /model.glb.
 */
export async function openChromiumReference(glb: Uint8Array): Promise<ChromiumReference> {
  const script = await bundle();
  const server: Server = createServer((req, res) => {
    if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        '<!doctype html><html><body><script type="module" src="/bundle.js"></script></body></html>',
      );
    } else if (req.url === '/bundle.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(script);
    } else if (req.url === '/model.glb') {
      res.writeHead(200, { 'content-type': 'model/gltf-binary' });
      res.end(Buffer.from(glb));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const profile = await mkdtemp(join(tmpdir(), 'zerocast-conformance-'));
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CONFORMANCE_CHROMIUM_ARGS],
    });
    const page: Page = await context.newPage();
    page.on('pageerror', (e) => process.stderr.write(`[conformance page] ${e.message}\n`));
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => 'zerocastConformance' in window, null, { timeout: 30_000 });
    const names = await page.evaluate(
      () =>
        (window as unknown as { zerocastConformance: { names: string[] } }).zerocastConformance
          .names,
    );
    const adapter = await page.evaluate(async () => {
      const a = await navigator.gpu?.requestAdapter();
      return a ? `${a.info.vendor} ${a.info.architecture} ${a.info.description}`.trim() : 'none';
    });
    const ctx = context;
    return {
      names,
      adapter,
      async render(name) {
        const r = await page.evaluate(
          (n) =>
            (
              window as unknown as {
                zerocastConformance: { render(n: string): Promise<{ data: string }> };
              }
            ).zerocastConformance.render(n),
          name,
        );
        return { width: 256, height: 256, data: new Uint8Array(Buffer.from(r.data, 'base64')) };
      },
      async close() {
        await ctx.close().catch(() => undefined);
        await rm(profile, { recursive: true, force: true });
        await new Promise((r) => server.close(r));
      },
    };
  } catch (error) {
    await context?.close().catch(() => undefined);
    await rm(profile, { recursive: true, force: true });
    server.close();
    throw error;
  }
}
