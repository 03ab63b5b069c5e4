/**
 * The HTTP API contract between the Zerocast UI (renderer/app, the Electron preload) and the
 * server (headless `serve` or the desktop app, which runs the same server). Every request and
 * response body is described here as a zod schema, with the TypeScript type inferred from it; the
 * server validates what it receives with these schemas, the client ({@link ./client.ts}) validates
 * what it gets back.
 *
 * Units everywhere: times in milliseconds (`…Ms`, frame stage times), bitrates in bits per second,
 * sizes in pixels, wall-clock instants in ms since the Unix epoch.
 *
 * Routes (all under the server's origin; `Authorization: Bearer <token>` when the server has one):
 *
 * | Route                                   | Request body              | Response                  |
 * | --------------------------------------- | ------------------------- | ------------------------- |
 * | `GET /api/status`                       |                           | {@link Status}            |
 * | `GET /api/scenes`                       |                           | {@link SceneInfo}[]       |
 * | `GET /api/scenes/:name/thumbnail.png`   |                           | `image/png`               |
 * | `PATCH /api/settings`                   | {@link SettingsPatch}     | {@link Status}            |
 * | `POST /api/model`                       | `.glb` (`model/gltf-binary`) | {@link Status}         |
 * | `GET /api/timing?count=N`               | ({@link TimingQuery})     | {@link FrameTiming}[]     |
 * | `GET /api/timing/stream`                |                           | SSE: `data: <FrameTiming>` |
 * | `POST /whep`                            | `application/sdp` offer   | 201 + SDP answer          |
 *
 * Errors (4xx/5xx) carry {@link ApiError}: `{ "error": "<what is wrong>" }`.
 */
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------
// Bounds (the same as the engine's: main/engine/settings.ts)
// ---------------------------------------------------------------------------------------------

/** Limits of the stream settings. */
export const LIMITS = {
  /** Width in pixels (even). */
  width: { min: 64, max: 7680 },
  /** Height in pixels (even). */
  height: { min: 64, max: 4320 },
  /** Frames per second. */
  fps: { min: 1, max: 240 },
  /** Target bitrate in bits/s. */
  bitrate: { min: 50_000, max: 200_000_000 },
  /** Frames between IDRs. */
  keyframeInterval: { min: 1, max: 100_000 },
} as const;

/** Built-in scene names and model names: letters, digits, `-`, `_`, `.`; 1..64 characters. */
export const SceneName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    'a scene name is 1..64 letters, digits, ".", "-", "_"',
  );

const evenInt = (what: string, min: number, max: number) =>
  z
    .number()
    .int(`${what} must be an integer`)
    .min(min, `${what} must be at least ${min}`)
    .max(max, `${what} must be at most ${max}`)
    .refine((n) => n % 2 === 0, `${what} must be even`);

/** Width in pixels: even, 64..7680. */
export const Width = evenInt('width', LIMITS.width.min, LIMITS.width.max);
/** Height in pixels: even, 64..4320. */
export const Height = evenInt('height', LIMITS.height.min, LIMITS.height.max);
/** Frames per second: integer 1..240. */
export const Fps = z.number().int('fps must be an integer').min(1).max(240);
/** Target bitrate in bits/s: integer 50 000..200 000 000. */
export const Bitrate = z
  .number()
  .int('bitrate must be an integer number of bits/s')
  .min(LIMITS.bitrate.min, 'bitrate must be at least 50000 bits/s')
  .max(LIMITS.bitrate.max, 'bitrate must be at most 200000000 bits/s');
/** Frames between IDRs: integer ≥ 1. */
export const KeyframeInterval = z
  .number()
  .int('keyframe interval must be an integer number of frames')
  .min(1)
  .max(LIMITS.keyframeInterval.max);

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

/** The stream settings in force (part of {@link Status}). */
export const StreamSettings = z.object({
  /** Built-in scene name, or the model's name when a .glb was loaded. */
  scene: z.string(),
  /** Pixels. */
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  /** Frames per second. */
  fps: z.number().positive(),
  /** Target bitrate, bits/s. */
  bitrate: z.number().positive(),
  /** Frames between IDRs. */
  keyframeInterval: z.number().int().positive(),
});
/** The stream settings in force. */
export type StreamSettings = z.infer<typeof StreamSettings>;

/**
 * Body of `PATCH /api/settings`: any subset of the settings, applied live without a restart.
 * Strict: unknown keys are rejected. `width` and `height` must come together.
 * The server answers 400 `{error}` when this does not parse, or when the engine refuses the change
 * (e.g. an unknown scene); otherwise 200 with the new {@link Status}.
 */
export const SettingsPatch = z
  .strictObject({
    /** Switch to this built-in scene. */
    scene: SceneName.optional(),
    /** Pixels; even; 64..7680. */
    width: Width.optional(),
    /** Pixels; even; 64..4320. */
    height: Height.optional(),
    /** Frames per second, 1..240. */
    fps: Fps.optional(),
    /** Target bitrate, bits/s, 50k..200M. */
    bitrate: Bitrate.optional(),
    /** Frames between IDRs, ≥ 1. */
    keyframeInterval: KeyframeInterval.optional(),
  })
  .refine((p) => (p.width === undefined) === (p.height === undefined), {
    message: 'width and height must be given together',
    path: ['height'],
  })
  .refine((p) => Object.keys(p).length > 0, { message: 'the patch changes nothing' });
/** Body of `PATCH /api/settings`. */
export type SettingsPatch = z.infer<typeof SettingsPatch>;

// ---------------------------------------------------------------------------------------------
// Scenes
// ---------------------------------------------------------------------------------------------

/** One item of `GET /api/scenes`. */
export const SceneInfo = z.object({
  /** Name as used in {@link SettingsPatch.scene} and on the CLI (`--scene`). */
  name: z.string(),
  /** One line for the UI. */
  description: z.string(),
  /** URL (absolute or relative to the server) of a PNG thumbnail: `/api/scenes/<name>/thumbnail.png`. */
  thumbnail: z.string(),
});
/** One item of `GET /api/scenes`. */
export type SceneInfo = z.infer<typeof SceneInfo>;
/** Response of `GET /api/scenes`. */
export const SceneList = z.array(SceneInfo);

/** The URL path of a scene's thumbnail. */
export function thumbnailPath(name: string): string {
  return `/api/scenes/${encodeURIComponent(name)}/thumbnail.png`;
}

/** Media type of `POST /api/model`'s body (a binary glTF 2.0 file). */
export const MODEL_CONTENT_TYPE = 'model/gltf-binary';
/** Largest model upload the UI sends and the server should accept, bytes (256 MiB). */
export const MODEL_MAX_BYTES = 256 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Status
// ---------------------------------------------------------------------------------------------

/** The GPU adapter the engine renders on. */
export const AdapterInfo = z.object({
  /** Adapter name, e.g. `NVIDIA H200` or `llvmpipe (LLVM 15.0.6, 256 bits)`. */
  name: z.string(),
  /** Graphics backend, e.g. `vulkan`, `metal`, `dx12`. */
  backend: z.string(),
  /** `discrete-gpu`, `integrated-gpu`, `virtual-gpu`, `cpu` or `other`. */
  deviceType: z.string(),
  /** True for a software rasterizer (lavapipe, SwiftShader). */
  software: z.boolean(),
});
/** The GPU adapter the engine renders on. */
export type AdapterInfo = z.infer<typeof AdapterInfo>;

/** One step of the encoder fallback chain. */
export const EncoderAttempt = z.object({
  /** Backend name: `nvenc`, `videotoolbox`, `openh264`. */
  name: z.string(),
  /** True for the backend in use. */
  ok: z.boolean(),
  /** Why the backend was not used. */
  reason: z.string().optional(),
  /**
   * How frames reach this backend: `cuda-zero-copy` (NVENC reads the exported GPU target),
   * `cuda-copy` (OpenH264 fed from the CUDA mapping) or `map-async` (WebGPU readback).
   */
  input: z.enum(['cuda-zero-copy', 'cuda-copy', 'map-async']).optional(),
});
/** One step of the encoder fallback chain. */
export type EncoderAttempt = z.infer<typeof EncoderAttempt>;

/** The H.264 encoder in use and the chain walked to choose it (best first). */
export const EncoderInfo = z.object({
  name: z.string(),
  chain: z.array(EncoderAttempt),
  /** How frames reach the encoder in use (see {@link EncoderAttempt} `input`). */
  input: z.enum(['cuda-zero-copy', 'cuda-copy', 'map-async']).optional(),
});
/** The H.264 encoder in use. */
export type EncoderInfo = z.infer<typeof EncoderInfo>;

/** Statistics of one WHEP viewer, from its RTCP reports and the server's send counters. */
export const ViewerStats = z.object({
  /** WHEP session id. */
  id: z.string(),
  /** Session state: `new`, `connecting`, `connected`, `closed`, … */
  state: z.string().optional(),
  /** Remote `address:port` of the selected ICE candidate pair. */
  remoteAddress: z.string().optional(),
  /** Video bitrate sent to this viewer over the last stats interval, bits/s. */
  bitrate: z.number().nonnegative(),
  /** Round-trip time from RTCP receiver reports, ms. */
  rttMs: z.number().nonnegative().optional(),
  /** Packet loss from the latest receiver report, percent (0..100). */
  lossPercent: z.number().min(0).max(100).optional(),
  /** Interarrival jitter, ms. */
  jitterMs: z.number().nonnegative().optional(),
  /** Generic NACK packets received (RFC 4585). */
  nacks: z.number().int().nonnegative(),
  /** Picture loss indications received. */
  plis: z.number().int().nonnegative(),
  /** Full intra requests received (RFC 5104). */
  firs: z.number().int().nonnegative().optional(),
  /** Access units sent. */
  framesSent: z.number().int().nonnegative().optional(),
  /** H.264 bytes sent. */
  bytesSent: z.number().nonnegative().optional(),
  /** When the session started, ms since the Unix epoch. */
  connectedAt: z.number().optional(),
});
/** Statistics of one WHEP viewer. */
export type ViewerStats = z.infer<typeof ViewerStats>;

/** The WebRTC (WHEP) output. */
export const WhepOutputInfo = z.object({
  /** Absolute URL of the WHEP endpoint (`POST` an SDP offer here). */
  url: z.string(),
  /** Absolute URL of the viewer page that plays the stream in any browser. */
  viewerUrl: z.string().optional(),
  viewers: z.array(ViewerStats),
});
/** The WebRTC (WHEP) output. */
export type WhepOutputInfo = z.infer<typeof WhepOutputInfo>;

/** The RFB (VNC) output, present when it is on. */
export const RfbOutputInfo = z.object({
  /** `host:port` VNC clients connect to. */
  address: z.string(),
  /** WebSocket URL for noVNC, when served. */
  websocketUrl: z.string().optional(),
  /** VNC password, present when one is set (only sent to authorised API clients). */
  password: z.string().optional(),
  /** Connected RFB clients. */
  clients: z.number().int().nonnegative(),
  /** Connected clients by the encoding they receive (`h264`, `zrle`, `raw`). */
  encodings: z.record(z.string(), z.number().int().nonnegative()).optional(),
});
/** The RFB (VNC) output. */
export type RfbOutputInfo = z.infer<typeof RfbOutputInfo>;

/** Response of `GET /api/status` (and of `PATCH /api/settings`, `POST /api/model`). */
export const Status = z.object({
  adapter: AdapterInfo,
  encoder: EncoderInfo,
  settings: StreamSettings,
  /** Whether access units are flowing. */
  live: z.boolean(),
  /** Frames rendered, encoded and dropped since the server started. */
  framesRendered: z.number().int().nonnegative(),
  framesEncoded: z.number().int().nonnegative(),
  framesDropped: z.number().int().nonnegative(),
  /** Frames encoded per second over the last second. */
  fps: z.number().nonnegative(),
  outputs: z.object({
    whep: WhepOutputInfo,
    rfb: RfbOutputInfo.optional(),
  }),
});
/** Response of `GET /api/status`. */
export type Status = z.infer<typeof Status>;

// ---------------------------------------------------------------------------------------------
// Frame timing (mirrors FrameTiming in main/engine/contracts.ts)
// ---------------------------------------------------------------------------------------------

/** Pipeline stage names in order. */
export const STAGE_NAMES = ['render', 'convert', 'readback', 'encode', 'send'] as const;
/** A pipeline stage. */
export type StageName = (typeof STAGE_NAMES)[number];

const stageMs = z.number().nonnegative().optional();

/** Per-stage durations of one frame, ms. A stage that did not run is absent. */
export const FrameStages = z.object({
  /** three.js render + submit. */
  render: stageMs,
  /** NV12 compute pass. */
  convert: stageMs,
  /** Readback of the NV12 buffer (or transfer/export to the encoder on zero-copy paths). */
  readback: stageMs,
  /** H.264 encode. */
  encode: stageMs,
  /** Hand-off of the access unit to the outputs. */
  send: stageMs,
});
/** Per-stage durations of one frame, ms. */
export type FrameStages = z.infer<typeof FrameStages>;

/** One frame's timing record: `GET /api/timing` items and `GET /api/timing/stream` events. */
export const FrameTiming = z.object({
  /** Frame id, increasing by one per frame (dropped frames too). */
  id: z.number().int().nonnegative(),
  /** Wall-clock start of the frame, ms since the Unix epoch. */
  startMs: z.number(),
  /** Stage durations measured on the CPU (wall time of each step), ms. */
  stages: FrameStages,
  /**
   * Stage durations measured on the GPU with timestamp queries, ms — present only where the
   * adapter supports them; then `stages` holds the CPU side of the same steps.
   */
  gpuStages: FrameStages.optional(),
  /** Encoded access unit size, bytes (0 when none). */
  bytes: z.number().int().nonnegative(),
  /** Whether the access unit was an IDR. */
  keyframe: z.boolean(),
  /** Set when the frame was dropped, with the reason (e.g. `pipeline-full`). */
  dropped: z.string().optional(),
});
/** One frame's timing record. */
export type FrameTiming = z.infer<typeof FrameTiming>;
/** Response of `GET /api/timing`. */
export const FrameTimingList = z.array(FrameTiming);

/** Query of `GET /api/timing`: `count` records, newest last (default and max: all kept). */
export const TimingQuery = z.strictObject({
  count: z.coerce.number().int().min(1).max(100_000).optional(),
});
/** Query of `GET /api/timing`. */
export type TimingQuery = z.infer<typeof TimingQuery>;

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/** Body of every 4xx/5xx answer of the API. */
export const ApiError = z.object({ error: z.string() });
/** Body of every 4xx/5xx answer of the API. */
export type ApiError = z.infer<typeof ApiError>;

/** One line describing why `input` failed `schema` (for 400 answers): `width: must be even; …`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}
