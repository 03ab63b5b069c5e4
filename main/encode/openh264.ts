/**
 * H.264 encoding with OpenH264 (Cisco, BSD), through the native/encode addon.
 *
 * The addon dlopen()s `libopenh264.so.7` (Debian package `libopenh264-7`) when the encoder is
 * created, configures a constrained baseline stream (profile_idc 66 + constraint_set0/1, CAVLC,
 * no B-frames, one reference frame; WebRTC profile-level-id 42e0xx), with the level picked from
 * size, fps and bitrate (H.264 Table A-1), BT.709 limited range signalled in the SPS VUI, bitrate
 * rate control without frame skipping, SPS+PPS before every IDR. Each encoder owns one native
 * worker thread: NV12 → I420 de-interleave and encoding never run on the JS thread.
 */
import type { EncoderConfig } from '../engine/contracts.ts';
import { NativeH264Encoder, type NativeEncoderOptions } from './native-encoder.ts';

export {
  validateEncoderConfig,
  type NativeEncoderOptions,
  type TimedAccessUnit,
} from './native-encoder.ts';

/**
 * {@link H264Encoder} on OpenH264, encoding on a dedicated native worker thread. With
 * `options.target` it also encodes frames of the exported GPU target (`encodeExported`): the
 * worker waits for the frame's semaphore and copies the NV12 out of the CUDA mapping
 * (`input === 'cuda-copy'`).
 */
export class OpenH264Encoder extends NativeH264Encoder {
  /** Always `openh264`. */
  readonly name = 'openh264';

  /**
   * Loads OpenH264 and opens an encoder.
   * @param config size (px), fps, bitrate (bits/s), keyframe interval (frames; 0 = only on request).
   * @param options an exported GPU target to read frames from (see ./cuda.ts).
   * @throws RangeError for an invalid config; Error when OpenH264 is missing (the message names
   *   the package `libopenh264-7`) or refuses the settings, or when the addon is not built.
   */
  constructor(config: EncoderConfig, options: NativeEncoderOptions = {}) {
    super('openh264', config, options);
  }
}
