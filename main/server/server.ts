/**
 * Zerocast's HTTP server (fastify 5): the WHEP endpoint (draft-ietf-wish-whep), the JSON/SSE API
 * for status and frame timing, and the viewer page.
 *
 * Routes:
 * - `POST /whep` (`application/sdp`) → 201, `Location: /whep/<id>`, SDP answer. 400 malformed or
 *   unanswerable offer, 409 no live stream, 413 offer over `maxOfferBytes`, 415 other content type,
 *   503 viewer limit.
 * - `DELETE /whep/<id>` → 204 (404 unknown). `PATCH /whep/<id>` → 405 (no trickle ICE / ICE
 *   restart). `OPTIONS /whep[/<id>]` → 204 with CORS headers and `Accept-Post: application/sdp`.
 * - `GET /api/status` → JSON: the engine's status callback + `live`, `width`, `height`, `fps`,
 *   `viewerCount`, `viewers` (per-viewer {@link ViewerStats}).
 * - `GET /api/timing?count=N` → JSON array of the last N {@link FrameTiming} records (default 300,
 *   1..10000).
 * - `GET /api/timing/stream` → Server-Sent Events, one `data:` event (JSON FrameTiming, `id:` the
 *   frame id) per frame.
 * - `GET /` → the viewer page, `GET /viewer.js` → its module.
 *
 * With a token, `/whep*` (except OPTIONS, the CORS preflight) and `/api/*` need
 * `Authorization: Bearer <token>` (401 + `WWW-Authenticate: Bearer` otherwise);
 * `GET /api/timing/stream` also takes `?access_token=<token>` (RFC 6750 section 2.3) because
 * browsers' EventSource cannot set headers. The viewer page is public and sends the token it finds
 * in its own URL (`?token=`).
 *
 * Errors are JSON `{ "error": "<message>" }`, except SDP answers.
 */
import Fastify, {
  type FastifyInstance,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import type { ServerResponse } from 'node:http';
import type { FrameTiming, StreamSource, TimingSource } from '../engine/contracts.ts';
import { WhepError, WhepOutput, type WhepOutputOptions } from '../outputs/whep/whep-output.ts';
import { MAX_OFFER_BYTES } from '../outputs/whep/sdp.ts';
import { bearerChallenge, checkBearer } from './auth.ts';
import { buildViewerAssets, type ViewerAssets } from './viewer-assets.ts';

/** Options of {@link createServer}. */
export interface ServerOptions {
  /** The live stream (the engine). */
  source: StreamSource;
  /** Frame timing records (the engine). */
  timing: TimingSource;
  /**
   * Engine status for `GET /api/status` (adapter, encoder, size, fps, bitrate, ...). The server
   * adds `live`, `width`, `height`, `fps`, `viewerCount` and `viewers` (per-viewer stats).
   */
  status?: () => Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Access token; when set, WHEP and `/api/*` require `Authorization: Bearer <token>`. */
  token?: string;
  /** An existing WHEP output to serve, or options for the one the server creates (and closes). */
  whep?: WhepOutput | WhepOutputOptions;
  /** fastify logger setting (`false`, `true` or pino options). Default false. */
  logger?: FastifyServerOptions['logger'];
  /** Body limit of every route but `POST /whep`, bytes. Default 1 MiB. */
  bodyLimit?: number;
  /** Largest SDP offer accepted, bytes (413 above). Default 64 KiB. */
  maxOfferBytes?: number;
  /** `Access-Control-Allow-Origin` of the WHEP resources. Default `*`. */
  corsOrigin?: string;
  /** Prebuilt viewer page; default: built from renderer/viewer with esbuild at start. */
  viewer?: ViewerAssets;
}

/** A created server. Call {@link ZerocastServer.listen}, later {@link ZerocastServer.close}. */
export interface ZerocastServer {
  /** The fastify instance (for `inject` in tests, or extra routes before `listen`). */
  readonly app: FastifyInstance;
  /** The WHEP output behind `/whep`. */
  readonly whep: WhepOutput;
  /**
   * Starts listening.
   * @param opts host (default 127.0.0.1) and port (default 0: any free port).
   * @returns The base URL, e.g. `http://127.0.0.1:8080`.
   * @throws Error when the address is in use or not available.
   */
  listen(opts?: { host?: string; port?: number }): Promise<string>;
  /** Closes the SSE streams, every WHEP session (when the server made the output) and the server. */
  close(): Promise<void>;
}

const CORS_ALLOW_HEADERS = 'Authorization, Content-Type, If-Match';
const CORS_EXPOSE_HEADERS = 'Location, Accept-Post, Link, ETag';

/**
 * Creates the HTTP server (not listening yet). Builds the viewer page first unless given.
 * @throws Error when the viewer cannot be built.
 */
export async function createServer(options: ServerOptions): Promise<ZerocastServer> {
  const { source, timing, token } = options;
  const maxOfferBytes = options.maxOfferBytes ?? MAX_OFFER_BYTES;
  const corsOrigin = options.corsOrigin ?? '*';
  const viewer = options.viewer ?? (await buildViewerAssets());
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    forceCloseConnections: true,
  });
  const ownsWhep = !(options.whep instanceof WhepOutput);
  const whep =
    options.whep instanceof WhepOutput
      ? options.whep
      : new WhepOutput(source, { logger: app.log, ...(options.whep ?? {}) });
  const sseClients = new Set<ServerResponse>();

  app.addContentTypeParser(
    'application/sdp',
    { parseAs: 'string', bodyLimit: maxOfferBytes },
    (_req, body, done) => done(null, body),
  );
  // Trickle ICE fragments (RFC 8840) are parsed only to be refused with an honest 405.
  app.addContentTypeParser(
    'application/trickle-ice-sdpfrag',
    { parseAs: 'string', bodyLimit: maxOfferBytes },
    (_req, body, done) => done(null, body),
  );

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    let status = err.statusCode ?? 500;
    let message = err.message;
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      status = 413;
      message = isWhep(req)
        ? `SDP offer larger than ${maxOfferBytes} bytes`
        : 'request body too large';
    } else if (
      err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' &&
      req.method === 'POST' &&
      isWhep(req)
    ) {
      status = 415;
      message = 'Content-Type must be application/sdp';
    }
    if (status >= 500) {
      req.log.error({ err }, 'request failed');
      message = 'internal server error';
    }
    void reply.code(status).send({ error: message });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: `no route ${req.method} ${req.url.split('?')[0]}` });
  });

  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    const whepPath = path === '/whep' || path.startsWith('/whep/');
    if (whepPath) {
      void reply.header('Access-Control-Allow-Origin', corsOrigin);
      void reply.header('Access-Control-Expose-Headers', CORS_EXPOSE_HEADERS);
      if (corsOrigin !== '*') void reply.header('Vary', 'Origin');
    }
    if (!token || req.method === 'OPTIONS') return;
    if (!whepPath && !path.startsWith('/api/') && path !== '/api') return;
    const query = req.query as Record<string, string | undefined>;
    const queryToken =
      path === '/api/timing/stream' && req.method === 'GET' ? query.access_token : undefined;
    const result = checkBearer(req.headers.authorization, token, queryToken);
    if (result === 'ok') return;
    return reply
      .code(401)
      .header('WWW-Authenticate', bearerChallenge(result))
      .send({ error: result === 'missing' ? 'authorization required' : 'invalid token' });
  });

  // ---- WHEP (draft-ietf-wish-whep section 4) ----
  app.options('/whep', async (_req, reply) => {
    return reply
      .code(204)
      .header('Accept-Post', 'application/sdp')
      .header('Access-Control-Allow-Methods', 'POST, OPTIONS')
      .header('Access-Control-Allow-Headers', CORS_ALLOW_HEADERS)
      .header('Access-Control-Max-Age', '86400')
      .send();
  });
  app.options('/whep/:id', async (_req, reply) => {
    return reply
      .code(204)
      .header('Access-Control-Allow-Methods', 'DELETE, PATCH, OPTIONS')
      .header('Access-Control-Allow-Headers', CORS_ALLOW_HEADERS)
      .header('Access-Control-Max-Age', '86400')
      .send();
  });
  app.post('/whep', { bodyLimit: maxOfferBytes }, async (req, reply) => {
    if (!isSdpContentType(req.headers['content-type']) || typeof req.body !== 'string') {
      return reply.code(415).send({ error: 'Content-Type must be application/sdp' });
    }
    try {
      const { id, sdp } = await whep.createSession(req.body);
      return reply
        .code(201)
        .header('Location', `/whep/${id}`)
        .header('Content-Type', 'application/sdp')
        .header('Cache-Control', 'no-store')
        .send(sdp);
    } catch (err) {
      if (err instanceof WhepError) {
        req.log.info({ status: err.status }, `WHEP offer refused: ${err.message}`);
        return reply.code(err.status).send({ error: err.message });
      }
      throw err;
    }
  });
  app.delete<{ Params: { id: string } }>('/whep/:id', async (req, reply) => {
    if (!whep.deleteSession(req.params.id)) {
      return reply.code(404).send({ error: 'no such WHEP session' });
    }
    return reply.code(204).send();
  });
  app.patch<{ Params: { id: string } }>('/whep/:id', async (req, reply) => {
    if (!whep.has(req.params.id)) return reply.code(404).send({ error: 'no such WHEP session' });
    return reply.code(405).header('Allow', 'DELETE, OPTIONS').send({
      error: 'trickle ICE and ICE restarts are not supported: the answer has all candidates',
    });
  });

  // ---- API ----
  app.get('/api/status', async () => {
    const base = options.status ? await options.status() : {};
    const viewers = whep.stats();
    return {
      ...base,
      live: source.live,
      width: source.width,
      height: source.height,
      fps: source.fps,
      viewerCount: viewers.length,
      viewers,
    };
  });
  app.get('/api/timing', async (req, reply) => {
    const raw = (req.query as Record<string, string | undefined>).count;
    const count = raw === undefined ? 300 : Number(raw);
    if (!Number.isInteger(count) || count < 1 || count > 10_000) {
      return reply.code(400).send({ error: 'count must be an integer from 1 to 10000' });
    }
    return timing.recent(count);
  });
  app.get('/api/timing/stream', (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    sseClients.add(res);
    const unsubscribe = timing.subscribe((t: FrameTiming) => {
      // A slow reader loses events rather than buffering without bound.
      if (!res.writableNeedDrain) res.write(`id: ${t.id}\ndata: ${JSON.stringify(t)}\n\n`);
    });
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    const end = (): void => {
      unsubscribe();
      clearInterval(heartbeat);
      sseClients.delete(res);
    };
    req.raw.on('close', end);
    res.on('close', end);
  });

  // ---- viewer page ----
  app.get('/', async (_req, reply) => {
    return reply
      .header('Content-Type', 'text/html; charset=utf-8')
      .header('Cache-Control', 'no-cache')
      .header('X-Content-Type-Options', 'nosniff')
      .header(
        'Content-Security-Policy',
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
      )
      .send(viewer.html);
  });
  app.get('/viewer.js', async (_req, reply) => {
    return reply
      .header('Content-Type', 'text/javascript; charset=utf-8')
      .header('Cache-Control', 'no-cache')
      .send(viewer.js);
  });
  app.get('/favicon.ico', async (_req, reply) => reply.code(204).send());

  let closed = false;
  return {
    app,
    whep,
    async listen(opts = {}) {
      const host = opts.host ?? '127.0.0.1';
      await app.listen({ host, port: opts.port ?? 0 });
      const addr = app.server.address();
      const port = typeof addr === 'object' && addr ? addr.port : opts.port;
      const h = host.includes(':') ? `[${host}]` : host;
      return `http://${h}:${port}`;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const res of sseClients) res.end();
      sseClients.clear();
      if (ownsWhep) await whep.close();
      await app.close();
    },
  };
}

/** True for `application/sdp` (parameters allowed, case-insensitive). */
export function isSdpContentType(value: string | undefined): boolean {
  return value !== undefined && value.split(';')[0]?.trim().toLowerCase() === 'application/sdp';
}

function isWhep(req: FastifyRequest): boolean {
  return req.url === '/whep' || req.url.startsWith('/whep/') || req.url.startsWith('/whep?');
}
