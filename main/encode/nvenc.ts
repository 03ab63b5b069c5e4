/**
 * H.264 encoding with NVENC (NVIDIA Video Codec SDK, NVENC API 11.1 headers from ffnvcodec),
 * through the native/encode addon, on a CUDA context. libcuda.so.1 and libnvidia-encode.so.1 are
 * loaded at run time, so this module loads everywhere; the constructor throws where they (or an
 * encoder-capable GPU) are missing.
 *
 * Stream: constrained baseline (Baseline profile, CAVLC, no B-frames, one reference frame),
 * preset P3 with NV_ENC_TUNING_INFO_ULTRA_LOW_LATENCY, CBR with a VBV of about one frame
 * (bitrate / fps bits), SPS/PPS repeated with every IDR, BT.709 limited range in the VUI; live
 * bitrate changes with nvEncReconfigureEncoder; forced IDRs with
 * NV_ENC_PIC_FLAG_FORCEIDR | NV_ENC_PIC_FLAG_OUTPUT_SPSPPS.
 *
 * Input: with `options.target` (an exported GPU target, see ./cuda.ts) its CUDA pointer is
 * registered once (nvEncRegisterResource, NV_ENC_INPUT_RESOURCE_TYPE_CUDADEVICEPTR, NV12, its
 * pitch) and `encodeExported` encodes in place after the frame's semaphore wait
 * (`input === 'cuda-zero-copy'`). `encode(frame)` uploads host NV12 into a CUDA buffer of its own.
 */
import type { EncoderConfig } from '../engine/contracts.ts';
import { NativeH264Encoder, type NativeEncoderOptions } from './native-encoder.ts';

/** {@link H264Encoder} on NVENC, encoding on a dedicated native worker thread. */
export class NvencEncoder extends NativeH264Encoder {
  /** Always `nvenc`. */
  readonly name = 'nvenc';

  /**
   * Opens an NVENC session on the target's CUDA device (or device 0) and configures it.
   * @param config size (px), fps, bitrate (bits/s), keyframe interval (frames; 0 = only on request).
   * @param options the exported GPU target to register (zero-copy), and whether to own it.
   * @throws RangeError for an invalid config; Error with the reason otherwise: CUDA or NVENC
   *   missing (`libcuda.so.1 not found`, cuInit's error name), or an NVENC call's status, e.g.
   *   `nvEncOpenEncodeSessionEx failed on NVIDIA H200: NV_ENC_ERR_UNSUPPORTED_DEVICE (2) (this GPU
   *   has no NVENC video encoder, e.g. A100/H100/H200)` (measured on the H200, driver 580); such
   *   errors carry `nvencStatus` (number) and `nvencStatusName`.
   */
  constructor(config: EncoderConfig, options: NativeEncoderOptions = {}) {
    super('nvenc', config, options);
  }
}

/** The NVENC status carried by an error from {@link NvencEncoder}'s constructor, if any. */
export function nvencStatusOf(err: unknown): { status: number; name: string } | undefined {
  const e = err as { nvencStatus?: unknown; nvencStatusName?: unknown } | null;
  if (e && typeof e.nvencStatus === 'number' && typeof e.nvencStatusName === 'string') {
    return { status: e.nvencStatus, name: e.nvencStatusName };
  }
  return undefined;
}
