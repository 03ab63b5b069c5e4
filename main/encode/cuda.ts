/**
 * The CUDA side of the Linux/NVIDIA zero-copy path: importing the NV12 target that native/gpu
 * exports (Vulkan external memory as OPAQUE_FD + an exportable timeline semaphore) into CUDA,
 * through the native/encode addon (CUDA driver API loaded at run time; no CUDA toolkit needed).
 *
 * Frame numbering: native/gpu signals the timeline semaphore with value N on the submit that
 * writes frame N into the target; frame numbers start at 1 (0 is the semaphore's initial value,
 * so waiting for it would not wait for anything). Every read first waits for that value on a
 * CUDA stream (`cuWaitExternalSemaphoresAsync`), so a half-written frame is never read.
 *
 * One target holds one frame: native/gpu must not write frame N+1 into it before the reader of
 * frame N is done (the encode promise of frame N settled). The engine therefore uses a ring of
 * targets (main/convert/nv12.ts: each slot its own memory + timeline semaphore; encoders bind them
 * all with `targets` and `encodeExported(n, pts, slot)` reads one).
 *
 * Teardown order: encoders using the target → {@link CudaNv12Target.close} (cuMemFree of the
 * mapping, cuDestroyExternalMemory, cuDestroyExternalSemaphore) → native/gpu frees its
 * VkBuffer / VkDeviceMemory / VkSemaphore.
 */
import {
  loadNativeAddon,
  type NativeCudaExternalNv12,
  type NativeCudaProbe,
  type NativeExportedNv12Desc,
  type NativeNvencProbe,
} from './native.ts';

export type { NativeCudaProbe as CudaProbe, NativeNvencProbe as NvencProbe } from './native.ts';

/**
 * What native/gpu hands out for its exportable NV12 target: `{ memoryFd, semaphoreFd, size,
 * pitch, width, height }` (fds: OPAQUE_FD of the VkDeviceMemory and of the timeline VkSemaphore;
 * size and pitch in bytes; width and height in pixels), optionally the Y plane's byte `offset`
 * and the Vulkan `deviceUuid` (32 hex digits) to pick the same GPU in CUDA.
 */
export type ExportedNv12Target = NativeExportedNv12Desc;

/** No exported target on this machine, and why (e.g. `adapter lacks VK_KHR_external_semaphore_fd`). */
export interface ExportUnavailable {
  readonly unavailable: string;
}

/** True for an {@link ExportUnavailable} (rather than a target descriptor). */
export function isExportUnavailable(
  gpu: ExportedNv12Target | ExportUnavailable,
): gpu is ExportUnavailable {
  return typeof (gpu as ExportUnavailable).unavailable === 'string';
}

/**
 * The CUDA import of an exported NV12 target (CUDA driver API: cuImportExternalMemory with
 * CU_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD + dedicated flag, cuExternalMemoryGetMappedBuffer,
 * cuImportExternalSemaphore with CU_EXTERNAL_SEMAPHORE_HANDLE_TYPE_TIMELINE_SEMAPHORE_FD), done
 * once per target.
 */
export class CudaNv12Target {
  /** The descriptor it was opened with (the fds are no longer the caller's). */
  readonly desc: Readonly<ExportedNv12Target>;
  /** @internal the native object, passed to encoders as `config.target`. */
  readonly native: NativeCudaExternalNv12;

  private constructor(desc: ExportedNv12Target, native: NativeCudaExternalNv12) {
    this.desc = Object.freeze({ ...desc });
    this.native = native;
  }

  /**
   * Imports the target into CUDA. **Takes ownership of both fds, also when it throws**: on
   * success the CUDA driver owns them (they are released by {@link close}); on failure this call
   * closes them. Never close them yourself afterwards.
   * @throws TypeError for a malformed descriptor; Error with the reason otherwise: an fd that is
   *   not open, size < offset + pitch * height * 1.5, pitch < width, odd or out-of-range size,
   *   CUDA missing (`libcuda.so.1 not found`), cuInit's error name, or the import's CUDA error.
   */
  static open(desc: ExportedNv12Target): CudaNv12Target {
    const addon = loadNativeAddon();
    return new CudaNv12Target(desc, new addon.CudaExternalNv12(desc));
  }

  /** Bytes of one NV12 frame in the target: pitch * height * 3 / 2. */
  get frameBytes(): number {
    return this.native.frameBytes;
  }

  /** The CUDA device the target was imported on (e.g. `NVIDIA H200`). */
  get deviceName(): string {
    return this.native.deviceName;
  }

  /** True once {@link close} succeeded. */
  get closed(): boolean {
    return this.native.closed;
  }

  /**
   * Waits (blocking the calling thread, polling the CUDA stream) until frame `frameNumber` is
   * completely written: cuWaitExternalSemaphoresAsync(value = frameNumber) on the target's stream.
   * @throws RangeError unless `frameNumber` is an integer >= 1; Error after `timeoutMs` (default
   *   2000) when the value was never signalled, or on a CUDA error.
   */
  waitFrame(frameNumber: number, timeoutMs?: number): void {
    this.native.waitFrame(frameNumber, timeoutMs);
  }

  /**
   * Waits for frame `frameNumber` as {@link waitFrame}, then copies the pitched NV12 (Y rows,
   * then CbCr rows, `pitch` bytes each; {@link frameBytes} in all) to a new host buffer
   * (cuMemcpyDtoHAsync + cuStreamSynchronize). Blocks the calling thread: meant for checks and
   * tests; encoders do this on their worker thread (`encodeExported`).
   * @throws as {@link waitFrame}.
   */
  copyToHost(frameNumber: number, timeoutMs?: number): Uint8Array {
    const b = this.native.copyToHost(frameNumber, timeoutMs);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }

  /**
   * Frees the CUDA side in order (cuMemFree of the mapping, cuDestroyExternalMemory,
   * cuDestroyExternalSemaphore, stream). Call it before native/gpu frees the Vulkan objects.
   * Idempotent. @throws Error while an NVENC encoder still has the target registered (close the
   * encoder first).
   */
  close(): void {
    this.native.close();
  }
}

/** Loads libcuda.so.1 (once) and reports cuInit and the CUDA devices. Never throws. */
export function cudaProbe(): NativeCudaProbe {
  return loadNativeAddon().cudaProbe();
}

/**
 * Opens (and closes) one NVENC session (`nvEncOpenEncodeSessionEx`, device type CUDA) on the CUDA
 * device with `deviceUuid` (default device 0) and reports the NVENCSTATUS by name. Never throws.
 */
export function nvencProbe(deviceUuid?: string): NativeNvencProbe {
  return loadNativeAddon().nvencProbe(deviceUuid);
}

/**
 * The name of an NVENCSTATUS as in nvEncodeAPI.h (NVENC API "Error Codes"), e.g.
 * 1 → `NV_ENC_ERR_NO_ENCODE_DEVICE`, 2 → `NV_ENC_ERR_UNSUPPORTED_DEVICE`; unknown values give
 * `NV_ENC_ERR_UNKNOWN_STATUS(n)`.
 */
export function nvencStatusName(status: number): string {
  return loadNativeAddon().nvencStatusName(status);
}
