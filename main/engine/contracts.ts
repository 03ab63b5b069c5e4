/**
 * The small typed contracts between the rooms of Zerocast.
 *
 * A frame goes: scene (main/scenes) → WebGPURenderer on native/gpu (main/webgpu)
 * → NV12 compute pass (main/convert) → readback → H.264 encoder (main/encode over native/encode)
 * → outputs (main/outputs/whep, main/outputs/rfb). The engine (main/engine) drives that loop and
 * publishes its results through {@link StreamSource}; outputs only ever see that interface.
 */

/**
 * One NV12 frame in CPU memory (ITU-R BT.709, limited range: Y 16..235, Cb/Cr 16..240).
 *
 * Layout: the Y plane is `height` rows of `pitch` bytes; the interleaved CbCr plane follows at
 * byte offset `pitch * height` and is `height / 2` rows of `pitch` bytes (Cb at even bytes, Cr at
 * odd bytes). `data.byteLength >= pitch * height * 3 / 2`.
 */
export interface Nv12Frame {
  /** Frame id, increasing by one for every frame the engine renders (dropped ones too). */
  readonly id: number;
  /** Width in pixels; even. */
  readonly width: number;
  /** Height in pixels; even. */
  readonly height: number;
  /** Bytes per row of both planes; a multiple of 256 and >= width. */
  readonly pitch: number;
  /** The planes, as described above. Valid only during the callback that hands it out unless copied. */
  readonly data: Uint8Array;
  /** Presentation time in ms since the stream started. */
  readonly ptsMs: number;
}

/** One encoded H.264 access unit in Annex B byte-stream format (ITU-T H.264 Annex B). */
export interface AccessUnit {
  /** The id of the frame this access unit encodes. */
  readonly frameId: number;
  /** Presentation time in ms since the stream started. */
  readonly ptsMs: number;
  /** True for an IDR access unit; SPS and PPS NAL units precede the IDR slice in `data`. */
  readonly keyframe: boolean;
  /** Start-code-prefixed NAL units (00 00 00 01 ...). */
  readonly data: Uint8Array;
  /** Width and height in pixels of the coded picture. */
  readonly width: number;
  readonly height: number;
}

/** Settings of an H.264 encoder. */
export interface EncoderConfig {
  /** Pixels; even. */
  width: number;
  height: number;
  /** Frames per second the stream runs at (used for rate control). */
  fps: number;
  /** Target bitrate in bits/s. */
  bitrate: number;
  /** Frames between IDRs (also forced by {@link H264Encoder.requestKeyframe}). */
  keyframeInterval: number;
}

/**
 * An H.264 encoder: constrained baseline profile, Annex B output, encoding off the JS thread.
 * Implementations: OpenH264 (native/encode, everywhere), later NVENC and VideoToolbox.
 */
export interface H264Encoder {
  /** Short name for logs and stats, e.g. `openh264`. */
  readonly name: string;
  /** The settings in force (bitrate reflects the latest {@link setBitrate}). */
  readonly config: Readonly<EncoderConfig>;
  /**
   * Encodes one NV12 frame. Resolves with the access unit, or `null` when the encoder's rate
   * control skipped the frame. The frame's bytes are copied before this returns.
   * @throws Error if the encoder is closed or the frame's size differs from the config.
   */
  encode(frame: Nv12Frame): Promise<AccessUnit | null>;
  /** Changes the target bitrate (bits/s) from the next frame on, without a restart. */
  setBitrate(bitsPerSecond: number): void;
  /** Makes the next encoded frame an IDR (with SPS/PPS). */
  requestKeyframe(): void;
  /** Frees the encoder; pending encodes reject. Idempotent. */
  close(): Promise<void>;
}

/** Per-stage times of one frame in ms. A stage that did not run (dropped frame) is absent. */
export interface FrameStages {
  /** three.js render call + submit (CPU ms; GPU ms where timestamp queries exist). */
  render?: number;
  /** NV12 compute pass. */
  convert?: number;
  /**
   * Readback/transfer: from the submit until the NV12 frame is readable by the encoder. On the
   * mapAsync path: until mapped and copied (includes the GPU's render and convert execution). On
   * the zero-copy path: the encoder's timeline-semaphore wait (plus the CUDA device-to-host copy
   * when a CPU codec is fed from CUDA).
   */
  readback?: number;
  /** H.264 encode on the worker thread. */
  encode?: number;
  /** Hand-off of the access unit to every output (packetize + queue). */
  send?: number;
}

/** The timing record of one frame, kept in a ring buffer and streamed to the debugger. */
export interface FrameTiming {
  /** Frame id (see {@link Nv12Frame.id}). */
  id: number;
  /** Wall-clock time the frame started, ms since the Unix epoch. */
  startMs: number;
  /** Stage durations in ms, measured on the CPU (wall time of each step). */
  stages: FrameStages;
  /**
   * GPU durations in ms of the stages that run on the GPU (`render`, `convert`), from WebGPU
   * timestamp queries — present only where the adapter has `timestamp-query` (lavapipe and NVIDIA
   * do); absent means only the CPU times in `stages` exist for this frame.
   */
  gpuStages?: FrameStages;
  /** Size of the encoded access unit in bytes (0 when none). */
  bytes: number;
  /** Whether the access unit was an IDR. */
  keyframe: boolean;
  /** Set when the frame was dropped, with the reason (e.g. `encoder-busy`). */
  dropped?: string;
}

/** Longest the engine waits for outputs to report an access unit sent, ms (the send stage's cap). */
export const SEND_STAGE_TIMEOUT_MS = 250;

/** What outputs subscribe to. Every callback is called synchronously from the engine loop. */
export interface StreamListener {
  /**
   * An encoded access unit, shared by every output (one encode for all viewers). Must not block:
   * an output queues the unit and may return a promise that settles once the unit has been
   * packetized and handed to the network for every viewer that takes it; the engine's `send`
   * stage runs until every returned promise settled (bounded by {@link SEND_STAGE_TIMEOUT_MS}).
   */
  onAccessUnit?(au: AccessUnit): void | Promise<void>;
  /**
   * Whether this listener needs `onFrame` right now (e.g. RFB only while a ZRLE/Raw client is
   * connected). On the zero-copy path the engine reads frames back to the CPU only while some
   * listener wants them; a listener with `onFrame` and without this method always does.
   */
  wantsFrames?(): boolean;
  /** The NV12 frame that was encoded (for RFB ZRLE/Raw). Copy `data` if kept past the call. */
  onFrame?(frame: Nv12Frame): void;
  /** The stream's size changed; the next access unit is an IDR at the new size. */
  onResize?(width: number, height: number): void;
}

/** The live stream as outputs see it. */
export interface StreamSource {
  /** Current stream size in pixels and frame rate. */
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  /** Whether frames are flowing (false before the first access unit and after shutdown). */
  readonly live: boolean;
  /** Registers a listener; returns a function that removes it. */
  subscribe(listener: StreamListener): () => void;
  /** Asks the shared encoder for an IDR soon (new viewer, PLI/FIR, RFB context reset). */
  requestKeyframe(reason: string): void;
  /** The most recent NV12 frame (a copy the engine keeps), if any. */
  latestFrame(): Nv12Frame | undefined;
}

/** Frame timing records as the HTTP API and the debugger see them. */
export interface TimingSource {
  /** The last `count` records (or all kept, if fewer), oldest first. */
  recent(count?: number): FrameTiming[];
  /** Calls `listener` with each completed record; returns a function that removes it. */
  subscribe(listener: (timing: FrameTiming) => void): () => void;
}
