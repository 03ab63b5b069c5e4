/**
 * Loader and types of the native/encode addon (`native/encode/build/Release/zerocast_encode.node`,
 * built by `bash native/encode/build.sh`). Internal to main/encode: use {@link createEncoder} or
 * {@link OpenH264Encoder} instead.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Settings passed to the native constructor (pixels, frames/s, bits/s, frames). */
export interface NativeEncoderConfig {
  /** Backend name, one of {@link NativeAddon.encoderNames} (`nvenc`, `openh264`). */
  codec: string;
  width: number;
  height: number;
  fps: number;
  bitrate: number;
  keyframeInterval: number;
  /**
   * The exported GPU target that `encodeExported` reads. NVENC registers its CUDA pointer once
   * (zero-copy); CPU codecs copy the NV12 out of the CUDA mapping per frame.
   */
  target?: NativeCudaExternalNv12;
  /**
   * A ring of exported GPU targets (slot = index; 1..16, same size and CUDA device), instead of
   * `target`: `encodeExported(…, slot)` reads the target of that slot.
   */
  targets?: NativeCudaExternalNv12[];
  /** Longest wait for a frame's timeline semaphore value, ms (default 2000). */
  targetTimeoutMs?: number;
}

/**
 * Descriptor of an exported NV12 target as native/gpu hands it out (Vulkan external memory +
 * timeline semaphore). Sizes in bytes, dimensions in pixels.
 */
export interface NativeExportedNv12Desc {
  /** OPAQUE_FD of the dedicated VkDeviceMemory (vkGetMemoryFdKHR). */
  memoryFd: number;
  /** OPAQUE_FD of the timeline VkSemaphore (vkGetSemaphoreFdKHR). */
  semaphoreFd: number;
  /** Allocation size (VkMemoryRequirements::size), bytes. */
  size: number;
  /** Row pitch of the Y and CbCr planes, bytes (>= width). */
  pitch: number;
  width: number;
  height: number;
  /** Byte offset of the Y plane in the allocation (default 0). */
  offset?: number;
  /** Vulkan deviceUUID (32 hex digits) to pick the matching CUDA device; default device 0. */
  deviceUuid?: string;
}

/**
 * The native CUDA import of an exported NV12 target (CUDA driver API, External Resource
 * Interoperability). The constructor owns both fds from the call on: CUDA keeps them on success,
 * the constructor closes them on failure (each fd is closed exactly once).
 */
export interface NativeCudaExternalNv12 {
  /** Waits for timeline value `frameNumber` (>= 1), then copies pitch * height * 1.5 bytes. */
  copyToHost(frameNumber: number, timeoutMs?: number): Buffer;
  /** Waits (host-side) until the timeline semaphore reached `frameNumber` (>= 1). */
  waitFrame(frameNumber: number, timeoutMs?: number): void;
  /** Frees the CUDA imports; throws while an NVENC encoder still uses the target. Idempotent. */
  close(): void;
  readonly closed: boolean;
  /** pitch * height * 3 / 2. */
  readonly frameBytes: number;
  /** CUDA device name, e.g. `NVIDIA H200`. */
  readonly deviceName: string;
}

/** What `cudaProbe()` reports: libcuda loaded, cuInit result, devices. */
export interface NativeCudaProbe {
  loaded: boolean;
  ok: boolean;
  /** Why CUDA is unusable (library missing, cuInit error name). */
  error?: string;
  /** cuInit(0) result and its `CUDA_ERROR_*` name, when cuInit was called. */
  initResult?: number;
  initResultName?: string;
  devices: { ordinal: number; name: string; uuid: string; computeCapability: string }[];
}

/** What `nvencProbe()` reports: whether an NVENC session opened on the CUDA device. */
export interface NativeNvencProbe {
  cudaOk: boolean;
  opened: boolean;
  /** NVENCSTATUS of nvEncOpenEncodeSessionEx and its name (e.g. `NV_ENC_ERR_NO_ENCODE_DEVICE`). */
  status?: number;
  statusName?: string;
  /** Why NVENC is unusable. */
  message?: string;
  /** H.264 among the encode GUIDs (only when opened). */
  h264?: boolean;
  /** NVENC API version the driver supports, e.g. `13.0`. */
  driverApiVersion?: string;
  /** NVENC API version of the headers this addon was built with (`11.1`). */
  headerApiVersion: string;
  device?: string;
}

/** What one native encode resolves with. */
export interface NativeEncodeResult {
  /** Annex B access unit (empty when `skipped`). */
  data: Buffer;
  /** IDR access unit (SPS + PPS + IDR slice). */
  keyframe: boolean;
  /** The encoder's rate control dropped the frame; `data` is empty. */
  skipped: boolean;
  ptsMs: number;
  frameId: number;
  /** Time spent de-interleaving + encoding on the worker thread, ms (without `transferMs`). */
  encodeMs: number;
  /**
   * Time spent making a GPU-target frame readable before encoding, ms: the timeline-semaphore
   * wait (NVENC), plus the device-to-host copy (OpenH264 fed from CUDA); 0 for host frames.
   */
  transferMs: number;
  /** Time the job waited in the worker's queue, ms. */
  queueMs: number;
  /** Linux thread id (gettid) of the worker thread that encoded it. */
  threadId: number;
}

/** One native encoder: a codec instance plus its dedicated worker thread. */
export interface NativeEncoder {
  readonly name: string;
  /** gettid() of the worker thread once it has encoded a frame, else 0. */
  readonly workerThreadId: number;
  /**
   * Copies the NV12 bytes and queues them. Throws TypeError/RangeError/Error synchronously for
   * bad arguments or a closed encoder.
   */
  encode(
    data: Uint8Array,
    width: number,
    height: number,
    pitch: number,
    ptsMs: number,
    frameId: number,
  ): Promise<NativeEncodeResult>;
  /**
   * Queues frame `frameNumber` (timeline semaphore value, >= 1) of the target bound in `slot`
   * (default 0); the worker waits for that target's semaphore before the codec reads. Needs
   * `config.target` or `config.targets`.
   */
  encodeExported(
    frameNumber: number,
    ptsMs: number,
    frameId: number,
    slot?: number,
  ): Promise<NativeEncodeResult>;
  /** True when the encoder reads the bound target in place (NVENC on a CUDA pointer). */
  readonly zeroCopy: boolean;
  setBitrate(bitsPerSecond: number): void;
  requestKeyframe(): void;
  close(): Promise<void>;
}

/** The addon's exports. */
export interface NativeAddon {
  NativeEncoder: new (config: NativeEncoderConfig) => NativeEncoder;
  CudaExternalNv12: {
    new (desc: NativeExportedNv12Desc): NativeCudaExternalNv12;
    /** Live imports in this process (leak checks). */
    liveCount(): number;
  };
  /** Loads libcuda.so.1 (once) and reports cuInit and the devices. Never throws. */
  cudaProbe(): NativeCudaProbe;
  /** Opens and closes one NVENC session on the device (UUID, default device 0). Never throws. */
  nvencProbe(deviceUuid?: string): NativeNvencProbe;
  /** NVENCSTATUS → name from nvEncodeAPI.h, e.g. 1 → `NV_ENC_ERR_NO_ENCODE_DEVICE`. */
  nvencStatusName(status: number): string;
  /** Backend names compiled in: `['openh264', 'nvenc']`. */
  encoderNames(): string[];
  /** Why a backend cannot run here (naming the package to install), or null when it can. */
  unavailableReason(codec: string): string | null;
  /** Lowest H.264 level_idc (x10) fitting the size, rate and bitrate (H.264 Table A-1). */
  chooseLevel(width: number, height: number, fps: number, bitrate: number): number;
  /** gettid() of the calling thread (the JS thread). */
  currentThreadId(): number;
}

let cached: NativeAddon | undefined;

/** Path of the built addon; `ZEROCAST_ENCODE_ADDON` overrides it (bundled deployments). */
export function addonPath(): string {
  const fromEnv = process.env.ZEROCAST_ENCODE_ADDON;
  if (fromEnv) return resolve(fromEnv);
  const here = dirname(fileURLToPath(import.meta.url));
  return resolve(here, '../../native/encode/build/Release/zerocast_encode.node');
}

/**
 * Loads the addon once.
 * @throws Error naming the build command when the addon has not been built.
 */
export function loadNativeAddon(): NativeAddon {
  if (cached) return cached;
  const path = addonPath();
  if (!existsSync(path)) {
    throw new Error(
      `native/encode addon not found at ${path}: run \`bash native/encode/build.sh\``,
    );
  }
  const require = createRequire(import.meta.url);
  cached = require(path) as NativeAddon;
  return cached;
}
