/**
 * The shared TypeScript side of native/encode's encoders ({@link OpenH264Encoder},
 * {@link NvencEncoder}): one native `VideoEncoder` plus its dedicated worker thread. Encoding, the
 * NV12 de-interleave and, for the exported GPU target, the semaphore wait and the CUDA copy all
 * run on that thread, never on the JS thread.
 */
import type { AccessUnit, EncoderConfig, H264Encoder, Nv12Frame } from '../engine/contracts.ts';
import type { CudaNv12Target } from './cuda.ts';
import type { EncoderInput, ExportedFrameEncoder } from './exported.ts';
import { loadNativeAddon, type NativeEncodeResult, type NativeEncoder } from './native.ts';

/** An access unit plus the encoder's own timing, as `encode()` returns it. */
export interface TimedAccessUnit extends AccessUnit {
  /** Milliseconds the codec spent on the worker thread (de-interleave + encode). */
  readonly encodeMs: number;
  /**
   * Milliseconds before that making a GPU-target frame readable (semaphore wait, plus the CUDA
   * device-to-host copy on the copy path); 0 for frames given in host memory.
   */
  readonly transferMs: number;
  /** Milliseconds the frame waited in the worker's queue before encoding started. */
  readonly queueMs: number;
  /** Linux thread id (gettid) of the worker thread that encoded it. */
  readonly workerThreadId: number;
}

/** Options of the native encoders beyond {@link EncoderConfig}. */
export interface NativeEncoderOptions {
  /**
   * The exported GPU target that `encodeExported` reads (see ./cuda.ts). NVENC registers its
   * CUDA pointer once; OpenH264 copies each frame out of the CUDA mapping.
   */
  target?: CudaNv12Target;
  /**
   * A ring of exported GPU targets (slot = index), instead of `target`: the GPU writes frame N+1
   * into another slot while frame N is still being read. `encodeExported(n, pts, slot)`.
   */
  targets?: readonly CudaNv12Target[];
  /** Close the target(s) in {@link NativeH264Encoder.close}, after the codec (default false). */
  ownsTarget?: boolean;
  /** Longest wait for a frame's timeline semaphore value, ms (default 2000). */
  targetTimeoutMs?: number;
}

/**
 * Checks an {@link EncoderConfig}.
 * @throws RangeError naming the offending field (even sizes 16..8192 px, fps in (0, 240],
 *   bitrate 10 kbit/s..500 Mbit/s, keyframeInterval >= 0 frames, all integers but fps).
 */
export function validateEncoderConfig(config: EncoderConfig): void {
  const { width, height, fps, bitrate, keyframeInterval } = config;
  const evenSize = (v: number): boolean =>
    Number.isInteger(v) && v >= 16 && v <= 8192 && v % 2 === 0;
  if (!evenSize(width) || !evenSize(height)) {
    throw new RangeError(
      `encoder config: width and height must be even integers in 16..8192 pixels, got ${width}x${height}`,
    );
  }
  if (!(fps > 0 && fps <= 240)) throw new RangeError(`encoder config: fps ${fps} not in (0, 240]`);
  if (!(Number.isInteger(bitrate) && bitrate >= 10_000 && bitrate <= 500_000_000)) {
    throw new RangeError(
      `encoder config: bitrate ${bitrate} not an integer in 10000..500000000 bit/s`,
    );
  }
  if (!(Number.isInteger(keyframeInterval) && keyframeInterval >= 0)) {
    throw new RangeError(
      `encoder config: keyframeInterval ${keyframeInterval} must be an integer >= 0`,
    );
  }
}

/** {@link H264Encoder} on one native/encode backend, encoding on a dedicated worker thread. */
export abstract class NativeH264Encoder implements H264Encoder, ExportedFrameEncoder {
  /** Backend name (`openh264`, `nvenc`). */
  abstract readonly name: string;
  readonly #native: NativeEncoder;
  readonly #config: EncoderConfig;
  readonly #targets: readonly CudaNv12Target[];
  readonly #ownsTarget: boolean;
  #closed = false;
  #closing: Promise<void> | undefined;

  /**
   * Opens the codec `codec` of the addon.
   * @throws RangeError for an invalid config; Error with the backend's reason otherwise (library
   *   missing, NVENC status name as `nvencStatus`/`nvencStatusName` on the error, target mismatch).
   */
  protected constructor(codec: string, config: EncoderConfig, options: NativeEncoderOptions = {}) {
    validateEncoderConfig(config);
    this.#config = { ...config };
    if (options.target && options.targets) {
      throw new TypeError('encoder options: pass target or targets, not both');
    }
    this.#targets = options.targets ? [...options.targets] : options.target ? [options.target] : [];
    this.#ownsTarget = options.ownsTarget === true && this.#targets.length > 0;
    const addon = loadNativeAddon();
    this.#native = new addon.NativeEncoder({
      codec,
      ...this.#config,
      ...(this.#targets.length ? { targets: this.#targets.map((t) => t.native) } : {}),
      ...(options.targetTimeoutMs !== undefined
        ? { targetTimeoutMs: options.targetTimeoutMs }
        : {}),
    });
  }

  /** The settings in force; `bitrate` follows {@link setBitrate}. */
  get config(): Readonly<EncoderConfig> {
    return { ...this.#config };
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** gettid() of the worker thread (0 before the first frame was encoded). */
  get workerThreadId(): number {
    return this.#native.workerThreadId;
  }

  /** How {@link encodeExported} reaches the codec; `map-async` when no target is bound. */
  get input(): EncoderInput {
    if (this.#targets.length === 0) return 'map-async';
    return this.#native.zeroCopy ? 'cuda-zero-copy' : 'cuda-copy';
  }

  /** The bound exported GPU target (slot 0), if any. */
  get target(): CudaNv12Target | undefined {
    return this.#targets[0];
  }

  /** The bound exported GPU targets by slot (empty when none). */
  get targets(): readonly CudaNv12Target[] {
    return this.#targets;
  }

  /**
   * Queues one NV12 frame; its bytes are copied before this returns, so the caller may reuse
   * `frame.data` at once. Frames are encoded in call order, one access unit per frame.
   * @returns the access unit (Annex B), or null if the encoder skipped the frame. Rejects if the
   *   encoder is closed before the frame ran.
   * @throws Error (synchronously) when the encoder is closed; RangeError when the frame's size
   *   differs from the config, its pitch is < width or not an integer, or `data` is shorter than
   *   pitch * height * 1.5 bytes.
   */
  encode(frame: Nv12Frame): Promise<TimedAccessUnit | null> {
    if (this.#closed) throw new Error('encode(): the encoder is closed');
    return this.#wrap(
      this.#native.encode(
        frame.data,
        frame.width,
        frame.height,
        frame.pitch,
        frame.ptsMs,
        frame.id,
      ),
    );
  }

  /**
   * Encodes the frame signalled with timeline value `frameId` (>= 1) on the target of ring slot
   * `slot` (default 0); the access unit carries `auFrameId` (default `frameId`); see
   * {@link ExportedFrameEncoder.encodeExported}.
   * @throws Error (synchronously) when closed or when no target is bound; RangeError unless
   *   `frameId` is an integer >= 1 and `slot` names a bound target.
   */
  encodeExported(
    frameId: number,
    ptsMs: number,
    slot = 0,
    auFrameId = frameId,
  ): Promise<TimedAccessUnit | null> {
    if (this.#closed) throw new Error('encodeExported(): the encoder is closed');
    return this.#wrap(this.#native.encodeExported(frameId, ptsMs, auFrameId, slot));
  }

  #wrap(pending: Promise<NativeEncodeResult>): Promise<TimedAccessUnit | null> {
    const { width, height } = this.#config;
    return pending.then((r) =>
      r.skipped
        ? null
        : {
            frameId: r.frameId,
            ptsMs: r.ptsMs,
            keyframe: r.keyframe,
            data: new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength),
            width,
            height,
            encodeMs: r.encodeMs,
            transferMs: r.transferMs,
            queueMs: r.queueMs,
            workerThreadId: r.threadId,
          },
    );
  }

  /**
   * Sets the target (and maximum) bitrate in bits/s from the next queued frame on, without a
   * restart (OpenH264 ENCODER_OPTION_BITRATE; NVENC nvEncReconfigureEncoder).
   * @throws RangeError outside 10 kbit/s..500 Mbit/s; Error when closed.
   */
  setBitrate(bitsPerSecond: number): void {
    if (this.#closed) throw new Error('setBitrate(): the encoder is closed');
    const bps = Math.round(bitsPerSecond);
    this.#native.setBitrate(bps);
    this.#config.bitrate = bps;
  }

  /**
   * Makes the next queued frame an IDR preceded by SPS and PPS (OpenH264 ForceIntraFrame; NVENC
   * NV_ENC_PIC_FLAG_FORCEIDR | NV_ENC_PIC_FLAG_OUTPUT_SPSPPS). @throws Error when closed.
   */
  requestKeyframe(): void {
    if (this.#closed) throw new Error('requestKeyframe(): the encoder is closed');
    this.#native.requestKeyframe();
  }

  /**
   * Stops the worker thread and frees the codec (NVENC unregisters the target first), then closes
   * the target when this encoder owns it. Frames still queued reject; the one being encoded
   * resolves first. Idempotent: every call returns the same promise.
   */
  close(): Promise<void> {
    if (!this.#closing) {
      this.#closed = true;
      this.#closing = this.#native.close().then(() => {
        if (this.#ownsTarget) for (const t of this.#targets) t.close();
      });
    }
    return this.#closing;
  }
}
