/**
 * The viewer page (renderer/viewer): its HTML and its TypeScript module, bundled with esbuild in
 * memory when the server starts (about 50 ms), so no build step is needed to serve it.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The two files the server hands out for the viewer page. */
export interface ViewerAssets {
  /** `index.html`. */
  readonly html: string;
  /** The bundled ES module (`viewer.js`). */
  readonly js: string;
}

/** Default location of the viewer sources (renderer/viewer, relative to this file). */
export const DEFAULT_VIEWER_DIR = fileURLToPath(new URL('../../renderer/viewer/', import.meta.url));

/**
 * Reads `index.html` and bundles `main.ts` of the viewer directory.
 * @param dir Directory holding `index.html` and `main.ts`. Default {@link DEFAULT_VIEWER_DIR}.
 * @throws Error when a file is missing or esbuild fails (with esbuild's messages).
 */
export async function buildViewerAssets(dir: string = DEFAULT_VIEWER_DIR): Promise<ViewerAssets> {
  const { build } = await import('esbuild');
  const html = await readFile(join(dir, 'index.html'), 'utf8');
  const result = await build({
    entryPoints: [join(dir, 'main.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2020',
    platform: 'browser',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const js = result.outputFiles[0]?.text;
  if (js === undefined) throw new Error('esbuild produced no output for the viewer');
  return { html, js };
}
