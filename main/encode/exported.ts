/**
 * The optional capability of an {@link H264Encoder} to encode frames straight from the GPU target
 * that native/gpu exports (see ./cuda.ts), by frame number, without the NV12 bytes passing through
 * JavaScript. Kept in main/encode so main/engine/contracts.ts stays unchanged: the engine checks
 * {@link canEncodeExported} and otherwise calls `encode(frame)` with mapAsync'ed bytes.
 */
import type { H264Encoder } from '../engine/contracts.ts';
import type { TimedAccessUnit } from './native-encoder.ts';

/**
 * How frames reach the codec:
 * - `cuda-zero-copy`: NVENC reads the exported target's CUDA pointer in place;
 * - `cuda-copy`: a CPU codec (OpenH264) fed from the CUDA mapping (cuMemcpyDtoH of the NV12);
 * - `map-async`: NV12 bytes read back with WebGPU mapAsync and passed to `encode(frame)`.
 */
export type EncoderInput = 'cuda-zero-copy' | 'cuda-copy' | 'map-async';

/** An {@link H264Encoder} that can also encode frames of the exported GPU target by number. */
export interface ExportedFrameEncoder extends H264Encoder {
  /** How `encodeExported` reaches the codec (`cuda-zero-copy` or `cuda-copy`). */
  readonly input: EncoderInput;
  /** The exported targets bound (ring slots); `encodeExported`'s `slot` is an index into them. */
  readonly targets: readonly unknown[];
  /**
   * Encodes the frame that native/gpu wrote into the exported target of ring slot `slot`
   * (default 0) and signalled on that target's timeline semaphore with value `frameId` (an integer
   * >= 1). On the encoder's worker thread: waits for that value
   * (cuWaitExternalSemaphoresAsync; never reads a torn frame), then NVENC encodes from the CUDA
   * pointer, or the NV12 is copied out (cuMemcpyDtoHAsync) for OpenH264. Frames are encoded in
   * call order; the access unit carries `auFrameId` (default `frameId`, e.g. the engine's frame
   * id) and `ptsMs` (ms since stream start).
   * @returns the access unit, or null when rate control skipped the frame. Rejects when the value
   *   is not signalled within the target timeout (default 2000 ms) or the codec fails.
   * @throws RangeError (synchronously) unless `frameId` is an integer >= 1 and `slot` a bound
   *   slot; Error when closed.
   */
  encodeExported(
    frameId: number,
    ptsMs: number,
    slot?: number,
    auFrameId?: number,
  ): Promise<TimedAccessUnit | null>;
}

/** True when `encoder` can encode frames of the exported GPU target ({@link ExportedFrameEncoder}). */
export function canEncodeExported(encoder: H264Encoder): encoder is ExportedFrameEncoder {
  const e = encoder as Partial<ExportedFrameEncoder>;
  return (
    typeof e.encodeExported === 'function' &&
    (e.input === 'cuda-zero-copy' || e.input === 'cuda-copy')
  );
}
