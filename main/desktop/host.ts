/**
 * The desktop app's narrow view of the server it embeds: the *same* engine + HTTP server as
 * `npm run serve` (main/cli/serve.ts `startServe`), bound to loopback on a free port, with a fresh
 * access token so other local processes cannot drive it. Electron code only ever sees
 * {@link DesktopServer}.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ServeOptions } from '../cli/options.ts';
import { startServe } from '../cli/serve.ts';
import { DEFAULT_SETTINGS } from '../engine/settings.ts';
import { createLogger } from '../engine/log.ts';

/** The embedded server, as the Electron main process sees it. */
export interface DesktopServer {
  /** Origin, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Bearer token of the API and WHEP. */
  readonly token: string;
  /** The UI's URL: `<url>/app/?token=<token>`. */
  readonly uiUrl: string;
  /** Stops the engine and the server (idempotent). */
  close(): Promise<void>;
}

/**
 * The viewer page prebuilt by ./build.ts (app/dist/viewer, next to this bundle's directory), or
 * undefined when running from sources (the server then builds it with esbuild at start).
 */
export function prebuiltViewer(): { html: string; js: string } | undefined {
  const dir = fileURLToPath(new URL('../viewer/', import.meta.url));
  if (!existsSync(`${dir}index.html`) || !existsSync(`${dir}viewer.js`)) return undefined;
  return {
    html: readFileSync(`${dir}index.html`, 'utf8'),
    js: readFileSync(`${dir}viewer.js`, 'utf8'),
  };
}

/** What the desktop app may choose; everything else is `serve`'s default. */
export type DesktopServerOptions = Partial<
  Pick<ServeOptions, 'scene' | 'width' | 'height' | 'fps' | 'bitrate' | 'rfbPort'>
>;

/**
 * Starts the engine and the server exactly as `serve` does, on 127.0.0.1 and a free port.
 * @throws Error with `serve`'s message (no GPU adapter, no encoder, ...).
 */
export async function startDesktopServer(
  options: DesktopServerOptions = {},
): Promise<DesktopServer> {
  const token = randomBytes(24).toString('base64url');
  const serveOptions: ServeOptions = {
    ...DEFAULT_SETTINGS,
    host: '127.0.0.1',
    port: 0,
    token,
    rfbPort: 0,
    rfbPassword: undefined,
    interactive: false,
    ...options,
  };
  // The packaged app has no esbuild: it serves the viewer page prebuilt by `build:desktop`.
  const viewer = prebuiltViewer();
  const running = await startServe(serveOptions, createLogger('zerocast-desktop'), {
    ...(viewer ? { viewer } : {}),
  });
  const url = new URL(running.whepUrl).origin;
  return {
    url,
    token,
    uiUrl: `${url}/app/?token=${encodeURIComponent(token)}`,
    close: () => running.close(),
  };
}
