/**
 * `npm run serve`: the main job. Starts the engine (GPU render → NV12 → H.264), the HTTP server
 * (viewer page, WHEP, API) and the RFB server, prints where to connect, and shuts everything down
 * cleanly on SIGINT/SIGTERM. The desktop app calls {@link startServe} too: one code path.
 */
import { networkInterfaces } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Engine } from '../engine/engine.ts';
import { createLogger, type Logger } from '../engine/log.ts';
import { createServer, type ZerocastServer } from '../server/server.ts';
import type { ViewerAssets } from '../server/viewer-assets.ts';
import { BUILTIN_SCENES } from '../scenes/index.ts';
import { loadModelScene } from '../scenes/gltf.ts';
import { readFile } from 'node:fs/promises';
import { registerControlRoutes, SceneThumbnails, toApiStatus } from '../api/routes.ts';
import { registerUi } from '../api/ui-route.ts';
import type { Status } from '../api/schema.ts';
import { generateToken } from '../server/auth.ts';
import { RfbServer } from '../outputs/rfb/index.ts';
import { randomBytes } from 'node:crypto';
import { isLoopback, serveCommand, type ServeOptions } from './options.ts';

/** A running `serve`: what it started and where to reach it. */
export interface RunningServe {
  readonly engine: Engine;
  readonly server: ZerocastServer;
  /** Viewer page URL (with `?token=` when a token is required). */
  readonly viewerUrl: string;
  /** WHEP endpoint URL. */
  readonly whepUrl: string;
  /** Bearer token required off loopback, else undefined. */
  readonly token: string | undefined;
  /** The RFB server, unless `--rfb-port 0`. */
  readonly rfb: RfbServer | undefined;
  /** `vnc://host:port` of the RFB TCP listener, unless RFB is off. */
  readonly rfbUrl: string | undefined;
  /** WebSocket URL of RFB for noVNC (`ws://host:port/rfb`), unless RFB is off. */
  readonly rfbWebSocketUrl: string | undefined;
  /** VNC password required off loopback, else undefined. */
  readonly rfbPassword: string | undefined;
  /** Stops the loop, closes every peer and the servers, frees the encoder and the GPU. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts the engine and every output.
 * @throws Error with a clear message when no GPU adapter or encoder is usable, the scene is
 *   unknown or a port is taken. Nothing is left running when it throws.
 */
export async function startServe(
  options: ServeOptions,
  log: Logger,
  extra: { viewer?: ViewerAssets } = {},
): Promise<RunningServe> {
  const loopback = isLoopback(options.host);
  const token = options.token ?? (loopback ? undefined : generateToken());
  const rfbPassword =
    options.rfbPassword ?? (loopback ? undefined : randomBytes(6).toString('base64url'));
  const engine = await Engine.create(options, log);
  let server: ZerocastServer | undefined;
  let rfb: RfbServer | undefined;
  try {
    const thumbnails = new SceneThumbnails();
    await thumbnails.renderAll(
      engine,
      BUILTIN_SCENES.map((scene) => scene.name),
    );
    let shown = '';
    const status = (): Status =>
      toApiStatus({
        engine: engine.status(),
        viewers: server!.whep.stats(),
        whepUrl: `${shown}/whep`,
        viewerUrl: `${shown}/`,
        ...(rfb
          ? {
              rfb: {
                address: `${new URL(shown).hostname}:${options.rfbPort}`,
                websocketUrl: `${shown.replace(/^http/, 'ws')}/rfb`,
                ...(rfbPassword ? { password: rfbPassword } : {}),
                clients: rfb.clients.length,
                encodings: countBy(rfb.clients.map((c) => c.encoding ?? 'none')),
              },
            }
          : {}),
      });
    server = await createServer({
      source: engine,
      timing: engine.timing,
      status,
      ...(token ? { token } : {}),
      ...(extra.viewer ? { viewer: extra.viewer } : {}),
      whep: { logger: log.child({ room: 'whep' }) },
    });
    if (options.model) {
      let glb: Uint8Array;
      try {
        glb = await readFile(options.model);
      } catch (error) {
        throw new Error(`cannot read the model ${options.model}: ${(error as Error).message}`);
      }
      engine.showScene(await loadModelScene(glb, options.model));
    }
    registerControlRoutes(server.app, {
      engine,
      scenes: BUILTIN_SCENES,
      thumbnails,
      status,
      loadModel: async (glb) => engine.showScene(await loadModelScene(glb, 'uploaded-model')),
    });
    await registerUi(server.app);
    if (options.rfbPort > 0) {
      rfb = new RfbServer({
        source: engine,
        ...(rfbPassword ? { password: rfbPassword } : {}),
        interaction: options.interactive,
        input: engine.input,
        log: log.child({ room: 'rfb' }),
      });
      const rfbServer = rfb;
      server.app.server.on('upgrade', (req, socket, head) => {
        if (new URL(req.url ?? '/', 'http://x').pathname === '/rfb')
          rfbServer.handleUpgrade(req, socket, head);
        else socket.destroy();
      });
    }
    const base = await explainListen(
      server.listen({ host: options.host, port: options.port }),
      '--port',
    );
    const rfbAddress = rfb
      ? await explainListen(rfb.listen(options.host, options.rfbPort), '--rfb-port')
      : undefined;
    engine.start();
    shown = publicBase(base, options.host);
    const shownHost = new URL(shown).hostname;
    let closing: Promise<void> | undefined;
    const running: RunningServe = {
      engine,
      server,
      viewerUrl: token ? `${shown}/?token=${encodeURIComponent(token)}` : `${shown}/`,
      whepUrl: `${shown}/whep`,
      token,
      rfb,
      rfbUrl: rfbAddress ? `vnc://${shownHost}:${rfbAddress.port}` : undefined,
      rfbWebSocketUrl: rfb ? `${shown.replace(/^http/, 'ws')}/rfb` : undefined,
      rfbPassword: rfb ? rfbPassword : undefined,
      close() {
        closing ??= (async () => {
          await rfb?.close();
          await server!.close();
          await engine.stop();
        })();
        return closing;
      },
    };
    return running;
  } catch (error) {
    await rfb?.close().catch(() => undefined);
    await server?.close().catch(() => undefined);
    await engine.stop().catch(() => undefined);
    throw error;
  }
}

/**
 * Awaits a listen and turns the usual failures into messages that name the option to change.
 * @throws Error for EADDRINUSE / EADDRNOTAVAIL / EACCES (with the fix), else the original error.
 */
async function explainListen<T>(listening: Promise<T>, option: string): Promise<T> {
  try {
    return await listening;
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { address?: string; port?: number };
    const where = `${e.address ?? '?'}:${e.port ?? '?'}`;
    if (e.code === 'EADDRINUSE') {
      throw new Error(
        `${where} is already in use (another Zerocast?): choose a free port with ${option}`,
      );
    }
    if (e.code === 'EADDRNOTAVAIL') {
      throw new Error(
        `${e.address ?? 'that address'} is not an address of this machine: check --host`,
      );
    }
    if (e.code === 'EACCES') {
      throw new Error(`${where} needs privileges to bind: choose a port above 1023 with ${option}`);
    }
    throw error;
  }
}

/** The base URL to print: a wildcard bind is shown with this machine's first external IPv4 address. */
function publicBase(base: string, host: string): string {
  if (host !== '0.0.0.0' && host !== '::') return base;
  const port = new URL(base).port;
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) {
      if (a.family === 'IPv4' && !a.internal) return `http://${a.address}:${port}`;
    }
  }
  return base;
}

/** Runs the CLI: parse, start, print, wait for a signal. */
export async function main(argv: string[]): Promise<void> {
  const log = createLogger();
  await serveCommand(async (options) => {
    let running: RunningServe;
    try {
      running = await startServe(options, log);
    } catch (error) {
      log.fatal((error as Error).message);
      process.exitCode = 1;
      return;
    }
    const { engine } = running;
    const s = engine.current;
    const adapter = engine.adapter;
    const lines = [
      `Zerocast is streaming ${options.model ? `the model ${options.model}` : `"${s.scene}"`} at ${s.width}x${s.height}, ${s.fps} fps, ${(s.bitrate / 1e6).toFixed(1)} Mbit/s`,
      `  GPU adapter:   ${adapter.name} (${adapter.backend}, ${adapter.type})`,
      `  encoder:       ${engine.status().encoder.name} (${engine.status().encoder.input})`,
      `  viewer:        ${running.viewerUrl}`,
      `  WHEP endpoint: ${running.whepUrl}`,
      `  control UI:    ${running.viewerUrl.replace(/\/(\?|$)/, '/app/$1')}`,
    ];
    if (running.rfbUrl) {
      lines.push(
        `  RFB (VNC):     ${running.rfbUrl}   noVNC WebSocket: ${running.rfbWebSocketUrl}`,
      );
      if (running.rfbPassword) lines.push(`  VNC password:  ${running.rfbPassword}`);
    }
    if (running.token)
      lines.push(`  access token:  ${running.token}   (send as "Authorization: Bearer <token>")`);
    lines.push('Press Ctrl-C to stop.');
    console.log(lines.join('\n'));
    await new Promise<void>((resolve) => {
      const stop = (signal: NodeJS.Signals) => {
        log.info({ signal }, 'shutting down');
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        running.close().then(resolve, (error: unknown) => {
          log.error({ err: error }, 'shutdown failed');
          process.exitCode = 1;
          resolve();
        });
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    log.info('stopped');
  }).parseAsync(argv, { from: 'user' });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error((error as Error).message);
    process.exit(1);
  });
}

/** Counts equal strings: `['a', 'b', 'a']` → `{ a: 2, b: 1 }`. */
function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}
