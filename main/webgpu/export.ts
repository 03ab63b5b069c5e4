/**
 * Zerocast's export extension (Vulkan/Linux): buffers on memory exported as an OPAQUE_FD and
 * timeline semaphores, so CUDA/NVENC can read what a compute pass wrote without a copy
 * (native/gpu/src/export.rs). Open the device with `zerocastExportable: true` in the
 * GPUDeviceDescriptor to get semaphore export (VK_KHR_external_semaphore_fd) where the driver
 * has it; memory export needs only VK_KHR_external_memory_fd (lavapipe has it too).
 */
import { GPUBufferImpl, GPUDevice as ZcDevice } from './gpu.ts';
import { loadNative } from './native.ts';

/** What a device can export. */
export interface ExportCapabilities {
  /** Buffers on OPAQUE_FD memory. */
  memoryFd: boolean;
  /** Timeline semaphores as OPAQUE_FD. */
  semaphoreFd: boolean;
  /** Vulkan deviceUUID, 32 hex digits (for CUDA to pick the same GPU). */
  deviceUuid?: string;
}

/** A GPUBuffer whose memory is exported as a file descriptor. */
export interface ExportedBuffer {
  /** An ordinary GPUBuffer of the device (storage/copy usages; never mappable). */
  buffer: GPUBuffer;
  /** OPAQUE_FD of the buffer's dedicated memory. Owned by the caller: hand it on or close it. */
  memoryFd: number;
  /** Bytes the buffer was created with. */
  size: number;
  /** Bytes of the underlying allocation (VkMemoryRequirements::size), what importers need. */
  allocationSize: number;
}

function zc(device: GPUDevice): ZcDevice {
  if (!(device instanceof ZcDevice)) throw new TypeError('not a Zerocast GPUDevice');
  return device;
}

/** The export capabilities of `device` (all false off Vulkan). */
export function exportCapabilities(device: GPUDevice): ExportCapabilities {
  const c = loadNative().exportCapabilities(zc(device)._id);
  return {
    memoryFd: c.memoryFd,
    semaphoreFd: c.semaphoreFd,
    deviceUuid: c.deviceUuid ?? undefined,
  };
}

/**
 * Creates a `size`-byte device-local buffer (GPUBufferUsage `usage`, no MAP_*) on memory
 * exported as an OPAQUE_FD.
 * @throws Error when the device cannot export memory (message says why).
 */
export function createExportedBuffer(
  device: GPUDevice,
  desc: { size: number; usage: number; label?: string },
): ExportedBuffer {
  const d = zc(device);
  const r = loadNative().createExportedBuffer(d._id, desc.size, desc.usage, desc.label);
  const buffer = new GPUBufferImpl(r.buffer, d, desc.size, desc.usage, false, desc.label);
  return {
    buffer: buffer as unknown as GPUBuffer,
    memoryFd: r.memoryFd,
    size: desc.size,
    allocationSize: r.allocationSize,
  };
}

/**
 * Imports an OPAQUE_FD exported by {@link createExportedBuffer} (same GPU) as a new GPUBuffer
 * sharing that memory; the import takes ownership of `fd`. For tests and same-GPU sharing.
 */
export function importExportedBuffer(
  device: GPUDevice,
  fd: number,
  desc: { size: number; usage: number; label?: string },
): GPUBuffer {
  const d = zc(device);
  const r = loadNative().createExportedBuffer(d._id, desc.size, desc.usage, desc.label, fd);
  return new GPUBufferImpl(
    r.buffer,
    d,
    desc.size,
    desc.usage,
    false,
    desc.label,
  ) as unknown as GPUBuffer;
}

/** A Vulkan timeline semaphore that queue submits can signal. */
export class TimelineSemaphore {
  /** OPAQUE_FD of the semaphore when exported (owned by the caller), else null. */
  readonly fd: number | null;
  private readonly id: number;
  private readonly device: ZcDevice;

  constructor(device: GPUDevice, exportFd: boolean) {
    this.device = zc(device);
    const r = loadNative().createTimeline(this.device._id, exportFd);
    this.id = r.timeline;
    this.fd = r.fd ?? null;
  }

  /** Makes the device's next `queue.submit()` signal this semaphore to `value` (> current). */
  signalOnNextSubmit(value: number): void {
    loadNative().timelineSignalOnNextSubmit(this.device._id, this.id, value);
  }

  /** The current value (vkGetSemaphoreCounterValue). */
  value(): number {
    return loadNative().timelineValue(this.id);
  }

  /** Waits for the device to go idle, then destroys the semaphore. */
  destroy(): void {
    loadNative().release(this.id);
  }
}

/**
 * Creates a timeline semaphore at value 0; with `export: true` also exports it as an OPAQUE_FD.
 * @throws Error when export is asked for and the device lacks VK_KHR_external_semaphore_fd.
 */
export function createTimeline(
  device: GPUDevice,
  options: { export?: boolean } = {},
): TimelineSemaphore {
  return new TimelineSemaphore(device, options.export ?? false);
}
