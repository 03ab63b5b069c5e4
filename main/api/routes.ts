/**
 * The control routes of the API (scene list and thumbnails, live settings, model upload) as a
 * fastify plugin, plus {@link toApiStatus}, which shapes the engine's and the outputs' status into
 * the {@link Status} contract. The server (main/server) registers these on its fastify instance;
 * authentication is the server's `onRequest` hook, which covers `/api/*`.
 *
 * - `GET /api/scenes` → {@link SceneInfo}[]
 * - `GET /api/scenes/:name/thumbnail.png` → PNG (404 `{error}` until a thumbnail exists)
 * - `PATCH /api/settings` ({@link SettingsPatch}) → {@link Status}; 400 `{error}` when invalid
 * - `POST /api/model` (`model/gltf-binary`) → {@link Status}; 422 `{error}` when the model does not
 *   load, 501 when the server has no model loader, 413 over {@link MODEL_MAX_BYTES}
 */
import type { FastifyInstance } from 'fastify';
import type { StreamSettings } from '../engine/settings.ts';
import {
  MODEL_CONTENT_TYPE,
  MODEL_MAX_BYTES,
  SettingsPatch,
  Status,
  describeIssues,
  thumbnailPath,
  type RfbOutputInfo,
  type SceneInfo,
} from './schema.ts';
import { nv12ToPng, type Nv12Image } from './thumbnail.ts';

/** The engine controls the routes drive (main/engine/engine.ts `Engine` satisfies this). */
export interface EngineControls {
  /** The settings in force. */
  readonly current: Readonly<StreamSettings>;
  /** @throws Error listing the scenes when `name` is unknown. */
  setScene(name: string): void;
  /** @throws RangeError outside 50k..200M bits/s. */
  setBitrate(bitsPerSecond: number): void;
  /** @throws RangeError on invalid values. */
  reconfigure(changes: {
    width?: number;
    height?: number;
    fps?: number;
    keyframeInterval?: number;
  }): Promise<void>;
  /** The most recent NV12 frame, if any. */
  latestFrame(): Nv12Image | undefined;
}

/** What the engine reports (see `EngineStatus` in main/engine/engine.ts). */
export interface EngineStatusLike {
  adapter: {
    name: string;
    backend: string;
    /** Device type, as `deviceType` or `type`. */
    deviceType?: string;
    type?: string;
    software: boolean;
  };
  encoder: { name: string; chain: { name: string; ok: boolean; reason?: string }[] };
  settings: EngineControls['current'];
  live: boolean;
  framesRendered: number;
  framesEncoded: number;
  framesDropped: number;
  fps: number;
}

/** What the WHEP output reports per viewer (see `ViewerStats` in main/outputs/whep/session.ts). */
export interface WhepViewerLike {
  id: string;
  state?: string;
  remoteAddress?: string;
  connectedAt?: number;
  bitrateBps: number;
  rttMs?: number;
  /** 0..1 */
  fractionLost?: number;
  jitterMs?: number;
  nacks: number;
  plis: number;
  firs?: number;
  framesSent?: number;
  bytesSent?: number;
}

/** Builds the {@link Status} contract from the engine's status and the outputs' statistics. */
export function toApiStatus(input: {
  engine: EngineStatusLike;
  viewers: readonly WhepViewerLike[];
  /** Absolute WHEP endpoint URL. */
  whepUrl: string;
  /** Absolute viewer page URL (without token). */
  viewerUrl?: string;
  rfb?: RfbOutputInfo;
}): Status {
  const e = input.engine;
  const status: Status = {
    adapter: {
      name: e.adapter.name,
      backend: e.adapter.backend,
      deviceType: e.adapter.deviceType ?? e.adapter.type ?? 'other',
      software: e.adapter.software,
    },
    encoder: { name: e.encoder.name, chain: e.encoder.chain.map((a) => ({ ...a })) },
    settings: { ...e.settings },
    live: e.live,
    framesRendered: e.framesRendered,
    framesEncoded: e.framesEncoded,
    framesDropped: e.framesDropped,
    fps: e.fps,
    outputs: {
      whep: {
        url: input.whepUrl,
        ...(input.viewerUrl ? { viewerUrl: input.viewerUrl } : {}),
        viewers: input.viewers.map((v) => ({
          id: v.id,
          state: v.state,
          remoteAddress: v.remoteAddress,
          connectedAt: v.connectedAt,
          bitrate: v.bitrateBps,
          rttMs: v.rttMs,
          lossPercent:
            v.fractionLost === undefined
              ? undefined
              : Math.min(100, Math.max(0, v.fractionLost * 100)),
          jitterMs: v.jitterMs,
          nacks: v.nacks,
          plis: v.plis,
          firs: v.firs,
          framesSent: v.framesSent,
          bytesSent: v.bytesSent,
        })),
      },
      ...(input.rfb ? { rfb: input.rfb } : {}),
    },
  };
  return Status.parse(status);
}

/** PNG thumbnails of scenes, by scene name. */
export class SceneThumbnails {
  private readonly pngs = new Map<string, Buffer>();

  /** The thumbnail of `name`, if captured. */
  get(name: string): Buffer | undefined {
    return this.pngs.get(name);
  }

  /** Stores `frame` (scaled to 320 px wide) as the thumbnail of `name`. */
  capture(name: string, frame: Nv12Image): void {
    this.pngs.set(name, nv12ToPng(frame, 320));
  }

  /**
   * Renders one frame of each scene before the stream starts and keeps it as its thumbnail, then
   * switches back to the scene in force. Call before `engine.start()`.
   */
  async renderAll(
    engine: EngineControls & { renderOnce(timeMs?: number): Promise<{ frame: Nv12Image }> },
    names: readonly string[],
    atMs = 1500,
  ): Promise<void> {
    const original = engine.current.scene;
    try {
      for (const name of names) {
        engine.setScene(name);
        const { frame } = await engine.renderOnce(atMs);
        this.capture(name, frame);
      }
    } finally {
      engine.setScene(original);
    }
  }
}

/** Options of {@link registerControlRoutes}. */
export interface ControlRoutesOptions {
  engine: EngineControls;
  /** The built-in scenes. */
  scenes: readonly { name: string; description: string }[];
  /** The current status, in contract shape (usually via {@link toApiStatus}). */
  status: () => Status | Promise<Status>;
  /** Loads a binary glTF as the scene (issue 3); absent → 501. @throws Error with a message for the user. */
  loadModel?: (glb: Uint8Array) => Promise<void>;
  /** Thumbnails; scenes without one are captured from the live stream while they are on air. */
  thumbnails?: SceneThumbnails;
}

/** Registers the control routes on `app` (before `listen`). */
export function registerControlRoutes(app: FastifyInstance, options: ControlRoutesOptions): void {
  const { engine } = options;
  const thumbnails = options.thumbnails ?? new SceneThumbnails();
  const builtIn = new Set(options.scenes.map((s) => s.name));
  let queue: Promise<unknown> = Promise.resolve();
  /** Settings changes run one at a time, in arrival order. */
  const serial = <T>(job: () => Promise<T>): Promise<T> => {
    const next = queue.then(job, job);
    queue = next.catch(() => undefined);
    return next;
  };

  // A scene on air without a thumbnail gets one from the live stream.
  const timer = setInterval(() => {
    const scene = engine.current.scene;
    if (!builtIn.has(scene) || thumbnails.get(scene)) return;
    const frame = engine.latestFrame();
    if (frame) thumbnails.capture(scene, frame);
  }, 2000);
  timer.unref();
  app.addHook('onClose', async () => clearInterval(timer));

  app.addContentTypeParser(
    MODEL_CONTENT_TYPE,
    { parseAs: 'buffer', bodyLimit: MODEL_MAX_BYTES },
    (_req, body, done) => done(null, body),
  );

  app.get('/api/scenes', async (): Promise<SceneInfo[]> =>
    options.scenes.map((s) => ({
      name: s.name,
      description: s.description,
      thumbnail: thumbnailPath(s.name),
    })),
  );

  app.get<{ Params: { name: string } }>('/api/scenes/:name/thumbnail.png', async (req, reply) => {
    const png = thumbnails.get(req.params.name);
    if (!builtIn.has(req.params.name)) {
      return reply.code(404).send({ error: `unknown scene "${req.params.name}"` });
    }
    if (!png) return reply.code(404).send({ error: 'no thumbnail yet' });
    return reply.header('Content-Type', 'image/png').header('Cache-Control', 'no-cache').send(png);
  });

  app.patch('/api/settings', { bodyLimit: 16 * 1024 }, async (req, reply) => {
    const parsed = SettingsPatch.safeParse(req.body);
    if (!parsed.success) return reply.code(400).send({ error: describeIssues(parsed.error) });
    const patch = parsed.data;
    try {
      await serial(async () => {
        if (patch.scene !== undefined) engine.setScene(patch.scene);
        if (patch.bitrate !== undefined) engine.setBitrate(patch.bitrate);
        const changes: Parameters<EngineControls['reconfigure']>[0] = {};
        if (patch.width !== undefined && patch.height !== undefined) {
          changes.width = patch.width;
          changes.height = patch.height;
        }
        if (patch.fps !== undefined) changes.fps = patch.fps;
        if (patch.keyframeInterval !== undefined) changes.keyframeInterval = patch.keyframeInterval;
        if (Object.keys(changes).length) await engine.reconfigure(changes);
      });
    } catch (error) {
      return reply.code(400).send({ error: (error as Error).message });
    }
    return options.status();
  });

  app.post('/api/model', async (req, reply) => {
    const body = req.body;
    if (!Buffer.isBuffer(body) || body.length === 0) {
      return reply
        .code(400)
        .send({ error: `send the .glb file as the body, Content-Type ${MODEL_CONTENT_TYPE}` });
    }
    if (!options.loadModel) {
      return reply.code(501).send({ error: 'this server cannot load models yet' });
    }
    try {
      await serial(() =>
        options.loadModel!(new Uint8Array(body.buffer, body.byteOffset, body.length)),
      );
    } catch (error) {
      return reply.code(422).send({ error: (error as Error).message });
    }
    return options.status();
  });
}
