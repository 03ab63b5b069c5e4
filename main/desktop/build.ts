/**
 * Builds the desktop app into app/ (electron-builder's app directory):
 * - app/dist/desktop/main.mjs: the Electron main process (main/desktop/main.ts + the engine, the
 *   server and everything they import, bundled; `electron` and the packages with native or
 *   worker-thread code stay external and are listed in app/package.json),
 * - app/dist/desktop/preload.cjs: the sandboxed preload (CommonJS, as sandboxed preloads must be),
 * - app/native/…: copies of the native addons at the same relative place as in the repository
 *   (main/webgpu and main/encode load `../../native/...` from their module: from
 *   app/dist/desktop/ that is app/native/...).
 * - app/dist/viewer/index.html + viewer.js: the viewer page, prebuilt (the packaged app has no
 *   esbuild to build it at start; ./host.ts hands these to the server).
 * The UI is built separately (`npm run build:ui` → app/dist/renderer/).
 *
 * Usage: `tsx main/desktop/build.ts`.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeFileSync } from 'node:fs';
import { build } from 'esbuild';
import { buildViewerAssets } from '../server/viewer-assets.ts';

/** Repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** electron-builder's app directory. */
export const APP_DIR = join(ROOT, 'app');

/** Packages kept out of the bundle (native code, worker threads); app/package.json lists them. */
export const EXTERNAL_PACKAGES = ['electron', 'node-datachannel', 'pino', 'pino-pretty'];

/** The native addons and where they go in app/. */
export function nativeAddons(): { from: string; to: string }[] {
  const out: { from: string; to: string }[] = [];
  const add = (dir: string) => {
    const abs = join(ROOT, dir);
    if (!existsSync(abs)) return;
    for (const f of readdirSync(abs)) {
      if (f.endsWith('.node')) out.push({ from: join(abs, f), to: join(APP_DIR, dir, f) });
    }
  };
  add('native/gpu');
  add('native/encode/build/Release');
  return out;
}

/** Bundles the main process and the preload, and copies the native addons. */
export async function buildDesktop(options: { minify?: boolean } = {}): Promise<void> {
  const outdir = join(APP_DIR, 'dist', 'desktop');
  const common = {
    bundle: true,
    platform: 'node' as const,
    target: 'node22',
    sourcemap: true,
    minify: options.minify ?? false,
    external: EXTERNAL_PACKAGES,
    logLevel: 'warning' as const,
  };
  await build({
    ...common,
    entryPoints: [join(ROOT, 'main/desktop/main.ts')],
    outfile: join(outdir, 'main.mjs'),
    format: 'esm',
    // Bundled CommonJS dependencies may call require(): give the ESM bundle one.
    banner: {
      js: "import { createRequire as __zcCreateRequire } from 'node:module'; const require = __zcCreateRequire(import.meta.url);",
    },
  });
  await build({
    ...common,
    entryPoints: [join(ROOT, 'main/desktop/preload.ts')],
    outfile: join(outdir, 'preload.cjs'),
    format: 'cjs',
    platform: 'browser',
    external: ['electron'],
  });
  // The RFB pixel worker (main/outputs/rfb/pixel-thread.ts looks for it beside the bundle).
  await build({
    ...common,
    entryPoints: [join(ROOT, 'main/outputs/rfb/pixel-worker.ts')],
    outfile: join(outdir, 'rfb-pixel-worker.mjs'),
    format: 'esm',
  });
  const viewer = await buildViewerAssets();
  mkdirSync(join(APP_DIR, 'dist', 'viewer'), { recursive: true });
  writeFileSync(join(APP_DIR, 'dist', 'viewer', 'index.html'), viewer.html);
  writeFileSync(join(APP_DIR, 'dist', 'viewer', 'viewer.js'), viewer.js);
  for (const { from, to } of nativeAddons()) {
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(from, to);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  buildDesktop().then(
    () => console.log(`desktop app built into ${APP_DIR}`),
    (error: unknown) => {
      console.error((error as Error).message);
      process.exit(1);
    },
  );
}
