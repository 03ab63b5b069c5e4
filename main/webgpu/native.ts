/**
 * Loader and typed view of the native WebGPU addon (native/gpu, Rust + wgpu, built by
 * `native/gpu/build.sh` into `native/gpu/zerocast-gpu.node`).
 *
 * The addon is flat and handle-based: every GPU object is a `number` handle; descriptors cross as
 * JSON (shapes documented in native/gpu/src/desc.rs). The WebGPU semantics live in ./gpu.ts.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** Adapter facts as the addon reports them (GPUAdapterInfo plus backend and software flag). */
export interface NativeAdapterInfo {
  name: string;
  vendor: number;
  device: number;
  /** `discrete-gpu` | `integrated-gpu` | `virtual-gpu` | `cpu` | `other`. */
  deviceType: string;
  driver: string;
  driverInfo: string;
  /** wgpu backend, e.g. `vulkan`, `metal`. */
  backend: string;
  isSoftware: boolean;
}

/** A GPUError as data. */
export interface NativeGpuError {
  /** `validation` | `out-of-memory` | `internal`. */
  kind: string;
  message: string;
}

/** One shader compilation message. */
export interface NativeCompilationMessage {
  message: string;
  kind: string;
  lineNum: number;
  linePos: number;
  offset: number;
  length: number;
}

/** The functions the addon exports (see native/gpu/src/lib.rs for each one's contract). */
export interface NativeGpu {
  requestAdapter(powerPreference?: string, forceFallback?: boolean): number;
  adapterInfo(adapter: number): NativeAdapterInfo;
  adapterFeatures(adapter: number): string[];
  adapterLimits(adapter: number): string;
  requestDevice(
    adapter: number,
    features: string[],
    limitsJson?: string,
    label?: string,
    exportable?: boolean,
  ): number;
  deviceFeatures(device: number): string[];
  deviceLimits(device: number): string;
  deviceDestroy(device: number): void;
  deviceLostInfo(device: number): string[] | null;
  /** Non-standard: wgpu's allocator report as JSON (see {@link ZerocastMemoryReport} in gpu.ts). */
  deviceMemoryReport(device: number): string;
  devicePoll(device: number): boolean;
  release(id: number): void;
  liveHandles(): number;
  pushErrorScope(device: number, filter: string): void;
  popErrorScope(device: number): NativeGpuError | null;
  takeUncapturedErrors(device: number): NativeGpuError[];
  createBuffer(
    device: number,
    size: number,
    usage: number,
    mappedAtCreation: boolean,
    label?: string,
  ): number;
  bufferDestroy(buffer: number): void;
  bufferUnmap(buffer: number): void;
  bufferReadMapped(buffer: number, offset: number, size: number): Buffer;
  bufferReadMappedInto(buffer: number, offset: number, dest: Uint8Array): void;
  bufferWriteMapped(buffer: number, offset: number, data: Uint8Array): void;
  bufferMapAsync(
    device: number,
    buffer: number,
    mode: number,
    offset: number,
    size: number,
  ): Promise<void>;
  createTexture(device: number, descJson: string): number;
  textureDestroy(texture: number): void;
  createView(texture: number, descJson?: string): number;
  createSampler(device: number, descJson: string): number;
  createQuerySet(device: number, type: string, count: number, label?: string): number;
  timestampPeriod(device: number): number;
  createShaderModule(device: number, code: string, label?: string): number;
  shaderCompilationInfo(module: number): NativeCompilationMessage[];
  createBindGroupLayout(device: number, descJson: string): number;
  createBindGroup(device: number, descJson: string): number;
  createPipelineLayout(device: number, descJson: string): number;
  createRenderPipeline(device: number, descJson: string): number;
  createComputePipeline(device: number, descJson: string): number;
  createRenderPipelineAsync(device: number, descJson: string): Promise<number>;
  createComputePipelineAsync(device: number, descJson: string): Promise<number>;
  pipelineBindGroupLayout(pipeline: number, index: number): number;
  createCommandEncoder(device: number, label?: string): number;
  encoderCopyBufferToBuffer(
    encoder: number,
    src: number,
    srcOffset: number,
    dst: number,
    dstOffset: number,
    size?: number,
  ): void;
  encoderCopy(encoder: number, kind: 'b2t' | 't2b' | 't2t', descJson: string): void;
  encoderClearBuffer(encoder: number, buffer: number, offset: number, size?: number): void;
  encoderResolveQuerySet(
    encoder: number,
    querySet: number,
    first: number,
    count: number,
    dst: number,
    dstOffset: number,
  ): void;
  encoderDebug(encoder: number, op: string, text?: string): void;
  encoderRenderPass(encoder: number, descJson: string, commands: Uint32Array): void;
  encoderComputePass(encoder: number, descJson: string | undefined, commands: Uint32Array): void;
  encoderFinish(encoder: number, label?: string): number;
  createRenderBundle(
    device: number,
    descJson: string,
    commands: Uint32Array,
    label?: string,
  ): number;
  queueSubmit(device: number, commandBuffers: number[]): void;
  queueWriteBuffer(device: number, buffer: number, offset: number, data: Uint8Array): void;
  queueWriteTexture(device: number, descJson: string, data: Uint8Array): void;
  queueOnSubmittedWorkDone(device: number): Promise<void>;
  exportCapabilities(device: number): {
    memoryFd: boolean;
    semaphoreFd: boolean;
    deviceUuid?: string | null;
  };
  createExportedBuffer(
    device: number,
    size: number,
    usage: number,
    label?: string,
    importFd?: number,
  ): { buffer: number; memoryFd: number; allocationSize: number };
  createTimeline(device: number, exportFd: boolean): { timeline: number; fd?: number | null };
  timelineSignalOnNextSubmit(device: number, timeline: number, value: number): void;
  timelineValue(timeline: number): number;
}

/** Absolute path of the addon: `$ZEROCAST_GPU_ADDON` if set, else native/gpu/zerocast-gpu.node. */
export function addonPath(): string {
  const fromEnv = process.env.ZEROCAST_GPU_ADDON;
  if (fromEnv) return path.resolve(fromEnv);
  const here = path.dirname(fileURLToPath(import.meta.url));
  return path.resolve(here, '../../native/gpu/zerocast-gpu.node');
}

let cached: NativeGpu | undefined;

/**
 * Loads the addon once.
 * @throws Error naming the build command when the addon is missing or fails to load.
 */
export function loadNative(): NativeGpu {
  if (cached) return cached;
  const p = addonPath();
  if (!existsSync(p)) {
    throw new Error(
      `Zerocast WebGPU addon not found at ${p}; build it with: bash native/gpu/build.sh`,
    );
  }
  const require = createRequire(import.meta.url);
  cached = require(p) as NativeGpu;
  return cached;
}
