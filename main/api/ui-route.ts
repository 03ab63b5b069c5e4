/**
 * Serves the built UI (renderer/app → app/dist/renderer, `npm run build:ui`) at `/app/` on the
 * server's fastify instance. The UI is public (no token needed to load it); it reads `?token=`
 * from its own URL and sends it as a bearer token to `/api/*` and `/whep`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** Where `npm run build:ui` writes the UI. */
export const DEFAULT_UI_ROOT = fileURLToPath(new URL('../../app/dist/renderer/', import.meta.url));

/** Options of {@link registerUi}. */
export interface UiRouteOptions {
  /** Directory of the built UI (with index.html). Default {@link DEFAULT_UI_ROOT}. */
  root?: string;
  /** URL prefix, with slashes at both ends. Default `/app/`. */
  prefix?: string;
}

/**
 * Registers the UI's static route (call before `listen`). When the UI is not built, `/app/`
 * answers 503 with `{error}` saying how to build it, instead of failing the server.
 */
export async function registerUi(
  app: FastifyInstance,
  options: UiRouteOptions = {},
): Promise<void> {
  const root = options.root ?? DEFAULT_UI_ROOT;
  const prefix = options.prefix ?? '/app/';
  const bare = prefix.replace(/\/$/, '');
  app.get(bare, async (req, reply) => {
    const query = req.url.slice(bare.length);
    return reply.redirect(prefix + query, 301);
  });
  if (!existsSync(join(root, 'index.html'))) {
    app.get(`${prefix}*`, async (_req, reply) =>
      reply.code(503).send({ error: 'the UI is not built: run `npm run build:ui`' }),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix,
    index: ['index.html'],
    wildcard: true,
    cacheControl: false,
    setHeaders(reply, path) {
      // Hashed assets are immutable; index.html must be revalidated.
      void reply.header(
        'Cache-Control',
        path.includes(join('assets', '')) ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
      void reply.header('X-Content-Type-Options', 'nosniff');
    },
  });
}
