/**
 * The WebGPU JavaScript API (https://www.w3.org/TR/webgpu/) over the native wgpu addon.
 *
 * Each GPU* class here wraps a numeric handle of native/gpu. Defaults, enum strings, promises,
 * error classes and events follow the spec; validation is wgpu's, reported through error scopes
 * and `uncapturederror` events exactly as wgpu words it. Pass encoders record into a command
 * stream that crosses to native once, at `end()` (see ./commands.ts).
 *
 * Known gaps: `importExternalTexture`, `copyExternalImageToTexture` only for ImageData-like
 * sources (`{data, width, height}`), no `GPUCanvasContext` for real surfaces (see ./canvas.ts for
 * the frame-texture context), `writeTimestamp` (not in WebGPU).
 */
import { CommandRecorder, Op, WHOLE } from './commands.ts';
import {
  loadNative,
  type NativeAdapterInfo,
  type NativeGpu,
  type NativeGpuError,
} from './native.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */

let nativeRef: NativeGpu | undefined;
function N(): NativeGpu {
  return (nativeRef ??= loadNative());
}

/** Releases native handles of GPU objects that JS garbage-collected. */
const finalizer = new FinalizationRegistry<number>((id) => {
  try {
    N().release(id);
  } catch {
    // The addon may be unloading at exit.
  }
});

/** Spec constants (WebGPU §5.1.2, §6.1.2, §5.2.1, §8.1.1, §10.3.4). */
export const GPUBufferUsage = Object.freeze({
  MAP_READ: 0x0001,
  MAP_WRITE: 0x0002,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  INDEX: 0x0010,
  VERTEX: 0x0020,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
  INDIRECT: 0x0100,
  QUERY_RESOLVE: 0x0200,
});
export const GPUTextureUsage = Object.freeze({
  COPY_SRC: 0x01,
  COPY_DST: 0x02,
  TEXTURE_BINDING: 0x04,
  STORAGE_BINDING: 0x08,
  RENDER_ATTACHMENT: 0x10,
});
export const GPUMapMode = Object.freeze({ READ: 0x0001, WRITE: 0x0002 });
export const GPUShaderStage = Object.freeze({ VERTEX: 0x1, FRAGMENT: 0x2, COMPUTE: 0x4 });
export const GPUColorWrite = Object.freeze({
  RED: 0x1,
  GREEN: 0x2,
  BLUE: 0x4,
  ALPHA: 0x8,
  ALL: 0xf,
});

/** The feature every wgpu (Vulkan/Metal) device has: full WebGPU core, not compatibility mode. */
const CORE_FEATURE = 'core-features-and-limits';

// ------------------------------------------------------------------------------------------
// Errors and events (WebGPU §22)
// ------------------------------------------------------------------------------------------

/** GPUError: base of the errors error scopes and `uncapturederror` report. */
export class GPUError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
export class GPUValidationError extends GPUError {}
export class GPUOutOfMemoryError extends GPUError {}
export class GPUInternalError extends GPUError {}

/** Rejection of create*PipelineAsync. `reason`: `validation` | `internal`. */
export class GPUPipelineError extends Error {
  readonly reason: 'validation' | 'internal';
  constructor(
    message = '',
    options: { reason: 'validation' | 'internal' } = { reason: 'validation' },
  ) {
    super(message);
    this.name = 'GPUPipelineError';
    this.reason = options.reason;
  }
}

/** The event of `uncapturederror`. */
export class GPUUncapturedErrorEvent extends Event {
  readonly error: GPUError;
  constructor(type: string, init: { error: GPUError }) {
    super(type);
    this.error = init.error;
  }
}

function toGpuError(e: NativeGpuError): GPUError {
  if (e.kind === 'out-of-memory') return new GPUOutOfMemoryError(e.message);
  if (e.kind === 'internal') return new GPUInternalError(e.message);
  return new GPUValidationError(e.message);
}

function operationError(message: string): Error {
  return new DOMException(message, 'OperationError');
}

// ------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------

/** Base of every handle-backed object. `_id` is the native handle. */
export class GPUObjectBase {
  label: string;
  /** @internal native handle */
  readonly _id: number;
  constructor(id: number, label?: string) {
    this._id = id;
    this.label = label ?? '';
    finalizer.register(this, id, this);
  }
}

function handleOf(v: unknown): number {
  return v instanceof GPUObjectBase ? v._id : 0;
}

/** JSON.stringify replacer: GPU objects → handles, `layout: 'auto'` → null, colours → arrays. */
function replacer(this: any, key: string, v: any): any {
  if (v instanceof GPUTexture && (key === 'view' || key === 'resolveTarget')) {
    return v.createView()._id;
  }
  if (v instanceof GPUObjectBase) return v._id;
  if (key === 'layout' && v === 'auto') return null;
  if (key === 'clearValue' && v && !Array.isArray(v) && typeof v === 'object') {
    return [v.r ?? 0, v.g ?? 0, v.b ?? 0, v.a ?? 0];
  }
  if (key === 'label') return undefined;
  if ((key === 'buffers' || key === 'targets' || key === 'attributes') && v && !Array.isArray(v)) {
    return Array.from(v as Iterable<unknown>);
  }
  return v;
}

function json(desc: unknown): string {
  return JSON.stringify(desc ?? {}, replacer);
}

function extent3d(size: GPUExtent3D): [number, number, number] {
  if (Array.isArray(size) || (typeof size === 'object' && Symbol.iterator in (size as object))) {
    const a = Array.from(size as Iterable<number>);
    return [a[0] ?? 1, a[1] ?? 1, a[2] ?? 1];
  }
  const d = size as GPUExtent3DDict;
  return [d.width, d.height ?? 1, d.depthOrArrayLayers ?? 1];
}

function origin3d(o: GPUOrigin3D | undefined): [number, number, number] {
  if (o === undefined) return [0, 0, 0];
  if (Array.isArray(o) || (typeof o === 'object' && Symbol.iterator in (o as object))) {
    const a = Array.from(o as Iterable<number>);
    return [a[0] ?? 0, a[1] ?? 0, a[2] ?? 0];
  }
  const d = o as GPUOrigin3DDict;
  return [d.x ?? 0, d.y ?? 0, d.z ?? 0];
}

function texCopy(t: GPUTexelCopyTextureInfo): object {
  return {
    texture: (t.texture as unknown as GPUTexture)._id,
    mipLevel: t.mipLevel ?? 0,
    origin: origin3d(t.origin),
    aspect: t.aspect ?? 'all',
  };
}

function bufCopy(b: GPUTexelCopyBufferLayout & { buffer?: GPUBuffer }): object {
  return {
    buffer: b.buffer ? (b.buffer as unknown as GPUBufferImpl)._id : 0,
    offset: b.offset ?? 0,
    bytesPerRow: b.bytesPerRow,
    rowsPerImage: b.rowsPerImage,
  };
}

function bytesOf(data: BufferSource | SharedArrayBuffer, offset = 0, size?: number): Uint8Array {
  if (ArrayBuffer.isView(data)) {
    const el = (data as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
    const byteOff = data.byteOffset + offset * el;
    const byteLen = size !== undefined ? size * el : data.byteLength - offset * el;
    return new Uint8Array(data.buffer, byteOff, byteLen);
  }
  const ab = data as ArrayBuffer;
  return new Uint8Array(ab, offset, size ?? ab.byteLength - offset);
}

// ------------------------------------------------------------------------------------------
// GPU, adapter
// ------------------------------------------------------------------------------------------

/** GPUSupportedFeatures: a read-only set of feature names. */
export class GPUSupportedFeatures extends Set<string> {}

/** GPUSupportedLimits: the limits as read-only numeric properties. */
export class GPUSupportedLimits {
  [name: string]: number;
  constructor(values: Record<string, number>) {
    for (const [k, v] of Object.entries(values)) {
      Object.defineProperty(this, k, { value: v, enumerable: true });
    }
  }
}

/** PCI vendor ids → the lowercase vendor names browsers report in GPUAdapterInfo.vendor. */
const VENDORS: Record<number, string> = {
  0x10de: 'nvidia',
  0x1002: 'amd',
  0x8086: 'intel',
  0x106b: 'apple',
  0x5143: 'qualcomm',
  0x13b5: 'arm',
  0x10005: 'mesa',
};

/** GPUAdapterInfo (WebGPU §4.2.1), plus Zerocast's `backend`, `deviceType`, `isSoftware`. */
export class GPUAdapterInfo {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  readonly subgroupMinSize = 4;
  readonly subgroupMaxSize = 128;
  readonly isFallbackAdapter: boolean;
  readonly backend: string;
  readonly deviceType: string;
  readonly driver: string;
  readonly isSoftware: boolean;
  constructor(i: NativeAdapterInfo) {
    this.vendor = VENDORS[i.vendor] ?? (i.vendor ? `0x${i.vendor.toString(16)}` : '');
    this.architecture = '';
    this.device = i.device ? `0x${i.device.toString(16)}` : '';
    this.description = i.name;
    this.isFallbackAdapter = i.isSoftware;
    this.backend = i.backend;
    this.deviceType = i.deviceType;
    this.driver = `${i.driver} ${i.driverInfo}`.trim();
    this.isSoftware = i.isSoftware;
  }
}

function parseLimits(j: string): GPUSupportedLimits {
  return new GPUSupportedLimits(JSON.parse(j) as Record<string, number>);
}

/** `navigator.gpu` (WebGPU §4.1). */
export class GPU {
  readonly wgslLanguageFeatures = new Set<string>([
    'readonly_and_readwrite_storage_textures',
    'packed_4x8_integer_dot_product',
    'unrestricted_pointer_parameters',
    'pointer_composite_access',
  ]);

  /**
   * Resolves with the chosen adapter (hardware when present, else lavapipe), or `null` when no
   * adapter exists (the reason, naming what to install, is kept in {@link GPU.lastAdapterError}).
   */
  async requestAdapter(options: GPURequestAdapterOptions = {}): Promise<GPUAdapter | null> {
    try {
      const id = N().requestAdapter(options.powerPreference, options.forceFallbackAdapter);
      return new GPUAdapter(id);
    } catch (e) {
      this.lastAdapterError = e as Error;
      return null;
    }
  }

  /** Why the last requestAdapter resolved null. */
  lastAdapterError: Error | undefined;

  /** Zerocast's frame textures are `rgba8unorm` (what the NV12 converter samples). */
  getPreferredCanvasFormat(): GPUTextureFormat {
    return 'rgba8unorm';
  }
}

/** GPUAdapter (WebGPU §4.2). */
export class GPUAdapter extends GPUObjectBase {
  readonly features: GPUSupportedFeatures;
  readonly limits: GPUSupportedLimits;
  readonly info: GPUAdapterInfo;
  readonly isFallbackAdapter: boolean;
  constructor(id: number) {
    super(id);
    const n = N();
    this.features = new GPUSupportedFeatures([...n.adapterFeatures(id), CORE_FEATURE]);
    this.limits = parseLimits(n.adapterLimits(id));
    this.info = new GPUAdapterInfo(n.adapterInfo(id));
    this.isFallbackAdapter = this.info.isSoftware;
  }

  /** Legacy accessor kept for older callers. */
  async requestAdapterInfo(): Promise<GPUAdapterInfo> {
    return this.info;
  }

  /**
   * Creates a device; rejects with TypeError for unsupported features or unknown limits.
   * Zerocast extension: `zerocastExportable: true` opens the Vulkan device with
   * VK_KHR_external_semaphore_fd when the driver has it (see ./export.ts).
   */
  async requestDevice(desc: GPUDeviceDescriptor = {}): Promise<GPUDevice> {
    const features = [...(desc.requiredFeatures ?? [])].filter((f) => f !== CORE_FEATURE);
    for (const f of features) {
      if (!this.features.has(f))
        throw new TypeError(`requestDevice: feature '${f}' is not supported by the adapter`);
    }
    const limits: Record<string, number> = {};
    for (const [k, v] of Object.entries(desc.requiredLimits ?? {}))
      if (v !== undefined) limits[k] = Number(v);
    let id: number;
    try {
      const exportable = (desc as { zerocastExportable?: boolean }).zerocastExportable === true;
      id = N().requestDevice(this._id, features, JSON.stringify(limits), desc.label, exportable);
    } catch (e) {
      throw new TypeError((e as Error).message);
    }
    return new GPUDevice(id, desc.label, this);
  }
}

// ------------------------------------------------------------------------------------------
// Device
// ------------------------------------------------------------------------------------------

/** GPUDeviceLostInfo. */
export class GPUDeviceLostInfo {
  constructor(
    readonly reason: 'unknown' | 'destroyed',
    readonly message: string,
  ) {}
}

type UncapturedHandler = ((this: GPUDevice, ev: GPUUncapturedErrorEvent) => unknown) | null;

/** What {@link GPUDevice.zerocastMemoryReport} returns (non-standard). */
export interface ZerocastMemoryReport {
  /** False where the backend keeps no allocator report (then the byte counts are 0). */
  available: boolean;
  /** Bytes of GPU memory in live sub-allocations (buffers, textures) of this device. */
  allocatedBytes: number;
  /** Bytes of device memory blocks the allocator holds (allocated plus free space in them). */
  reservedBytes: number;
  /** Number of live sub-allocations. */
  allocations: number;
  /** Number of device memory blocks. */
  blocks: number;
  /** Live native handles of the addon (every kind, every device). */
  liveHandles: number;
}

/** GPUDevice (WebGPU §4.4). An EventTarget that fires `uncapturederror`. */
export class GPUDevice extends EventTarget {
  label: string;
  readonly _id: number;
  readonly features: GPUSupportedFeatures;
  readonly limits: GPUSupportedLimits;
  readonly adapterInfo: GPUAdapterInfo;
  readonly queue: GPUQueue;
  readonly lost: Promise<GPUDeviceLostInfo>;
  onuncapturederror: UncapturedHandler = null;
  private resolveLost!: (info: GPUDeviceLostInfo) => void;
  private watch: ReturnType<typeof setInterval>;
  private destroyed = false;

  constructor(id: number, label: string | undefined, adapter: GPUAdapter) {
    super();
    this._id = id;
    this.label = label ?? '';
    const n = N();
    this.features = new GPUSupportedFeatures([...n.deviceFeatures(id), CORE_FEATURE]);
    this.limits = parseLimits(n.deviceLimits(id));
    this.adapterInfo = adapter.info;
    this.queue = new GPUQueue(this);
    this.lost = new Promise((res) => (this.resolveLost = res));
    // Uncaptured errors and device loss are polled: after every submit and on this timer.
    this.watch = setInterval(() => this.drainErrors(), 100);
    this.watch.unref();
  }

  /** Dispatches errors that no error scope caught as `uncapturederror` events. */
  drainErrors(): void {
    const n = N();
    if (!this.destroyed) {
      const lost = n.deviceLostInfo(this._id);
      if (lost) this.markLost(lost[0] === 'destroyed' ? 'destroyed' : 'unknown', lost[1] ?? '');
    }
    const errors = n.takeUncapturedErrors(this._id);
    for (const e of errors) {
      const ev = new GPUUncapturedErrorEvent('uncapturederror', { error: toGpuError(e) });
      const listened =
        this.dispatchEvent(ev) && (this.onuncapturederror !== null || this.listeners > 0);
      if (this.onuncapturederror) this.onuncapturederror.call(this, ev);
      if (!listened)
        console.warn(`[zerocast/webgpu] uncaptured ${ev.error.name}: ${ev.error.message}`);
    }
  }

  private listeners = 0;
  override addEventListener(
    type: string,
    cb: EventListenerOrEventListenerObject | null,
    opts?: any,
  ): void {
    if (type === 'uncapturederror' && cb) this.listeners++;
    super.addEventListener(type, cb, opts);
  }
  override removeEventListener(
    type: string,
    cb: EventListenerOrEventListenerObject | null,
    opts?: any,
  ): void {
    if (type === 'uncapturederror' && cb && this.listeners > 0) this.listeners--;
    super.removeEventListener(type, cb, opts);
  }

  private markLost(reason: 'unknown' | 'destroyed', message: string): void {
    if (this.destroyed) return;
    this.destroyed = true;
    clearInterval(this.watch);
    this.resolveLost(new GPUDeviceLostInfo(reason, message));
  }

  /**
   * Non-standard (Zerocast): what wgpu's GPU memory allocator holds for this device right now
   * (`wgpu::Device::generate_allocator_report`; on Vulkan, gpu-allocator's report) plus the
   * addon's live handle count. For leak checks and diagnostics, e.g. `bench/leak.bench.ts`.
   */
  zerocastMemoryReport(): ZerocastMemoryReport {
    return JSON.parse(N().deviceMemoryReport(this._id)) as ZerocastMemoryReport;
  }

  /** GPUDevice.destroy(): `lost` resolves with reason `destroyed`. */
  destroy(): void {
    N().deviceDestroy(this._id);
    this.markLost('destroyed', 'device.destroy() was called');
  }

  createBuffer(desc: GPUBufferDescriptor): GPUBufferImpl {
    const mapped = desc.mappedAtCreation ?? false;
    const id = N().createBuffer(this._id, desc.size, desc.usage, mapped, desc.label);
    return new GPUBufferImpl(id, this, desc.size, desc.usage, mapped, desc.label);
  }

  createTexture(desc: GPUTextureDescriptor): GPUTexture {
    const size = extent3d(desc.size);
    const norm = {
      size,
      mipLevelCount: desc.mipLevelCount ?? 1,
      sampleCount: desc.sampleCount ?? 1,
      dimension: desc.dimension ?? '2d',
      format: desc.format,
      usage: desc.usage,
      viewFormats: desc.viewFormats ? [...desc.viewFormats] : [],
      label: desc.label,
    };
    return new GPUTexture(N().createTexture(this._id, JSON.stringify(norm)), norm);
  }

  createSampler(desc: GPUSamplerDescriptor = {}): GPUSampler {
    return new GPUSampler(N().createSampler(this._id, JSON.stringify(desc)), desc.label);
  }

  createBindGroupLayout(desc: GPUBindGroupLayoutDescriptor): GPUBindGroupLayout {
    const d = { entries: [...desc.entries] };
    return new GPUBindGroupLayout(
      N().createBindGroupLayout(this._id, JSON.stringify(d)),
      desc.label,
    );
  }

  createPipelineLayout(desc: GPUPipelineLayoutDescriptor): GPUPipelineLayout {
    const d = { bindGroupLayouts: [...desc.bindGroupLayouts].map((l) => (l ? handleOf(l) : null)) };
    return new GPUPipelineLayout(N().createPipelineLayout(this._id, JSON.stringify(d)), desc.label);
  }

  createBindGroup(desc: GPUBindGroupDescriptor): GPUBindGroup {
    const keep: object[] = [];
    const entries = [...desc.entries].map((e) => {
      const r = e.resource as unknown;
      let resource: object;
      if (r instanceof GPUSampler) resource = { sampler: r._id };
      else if (r instanceof GPUTextureView) resource = { view: r._id };
      else if (r instanceof GPUTexture) {
        const v = r.createView();
        keep.push(v);
        resource = { view: v._id };
      } else if (r instanceof GPUBufferImpl) resource = { buffer: r._id, offset: 0 };
      else if (r && typeof r === 'object' && 'buffer' in r) {
        const b = r as GPUBufferBinding;
        resource = { buffer: handleOf(b.buffer), offset: b.offset ?? 0, size: b.size };
      } else throw new TypeError(`createBindGroup: unsupported resource at binding ${e.binding}`);
      return { binding: e.binding, resource };
    });
    const d = { layout: handleOf(desc.layout), entries };
    const bg = new GPUBindGroup(N().createBindGroup(this._id, JSON.stringify(d)), desc.label);
    bg.keep = keep;
    return bg;
  }

  createShaderModule(desc: GPUShaderModuleDescriptor): GPUShaderModule {
    return new GPUShaderModule(N().createShaderModule(this._id, desc.code, desc.label), desc.label);
  }

  createRenderPipeline(desc: GPURenderPipelineDescriptor): GPURenderPipeline {
    return new GPURenderPipeline(N().createRenderPipeline(this._id, json(desc)), desc.label);
  }

  createComputePipeline(desc: GPUComputePipelineDescriptor): GPUComputePipeline {
    return new GPUComputePipeline(N().createComputePipeline(this._id, json(desc)), desc.label);
  }

  /** Builds the pipeline off the JS thread; rejects with GPUPipelineError on validation errors. */
  async createRenderPipelineAsync(desc: GPURenderPipelineDescriptor): Promise<GPURenderPipeline> {
    try {
      return new GPURenderPipeline(
        await N().createRenderPipelineAsync(this._id, json(desc)),
        desc.label,
      );
    } catch (e) {
      throw pipelineError(e);
    }
  }

  async createComputePipelineAsync(
    desc: GPUComputePipelineDescriptor,
  ): Promise<GPUComputePipeline> {
    try {
      return new GPUComputePipeline(
        await N().createComputePipelineAsync(this._id, json(desc)),
        desc.label,
      );
    } catch (e) {
      throw pipelineError(e);
    }
  }

  createCommandEncoder(desc: GPUCommandEncoderDescriptor = {}): GPUCommandEncoder {
    return new GPUCommandEncoder(N().createCommandEncoder(this._id, desc.label), this, desc.label);
  }

  createRenderBundleEncoder(desc: GPURenderBundleEncoderDescriptor): GPURenderBundleEncoder {
    return new GPURenderBundleEncoder(this, desc);
  }

  createQuerySet(desc: GPUQuerySetDescriptor): GPUQuerySet {
    const id = N().createQuerySet(this._id, desc.type, desc.count, desc.label);
    return new GPUQuerySet(id, desc.type, desc.count, desc.label);
  }

  importExternalTexture(): never {
    throw new TypeError('importExternalTexture is not supported by Zerocast');
  }

  pushErrorScope(filter: GPUErrorFilter): void {
    N().pushErrorScope(this._id, filter);
  }

  /** Resolves with the first error the innermost scope caught, or null; rejects if none pushed. */
  async popErrorScope(): Promise<GPUError | null> {
    let e: NativeGpuError | null;
    try {
      e = N().popErrorScope(this._id);
    } catch (err) {
      throw operationError((err as Error).message);
    }
    return e ? toGpuError(e) : null;
  }
}

function pipelineError(e: unknown): GPUPipelineError {
  const msg = (e as Error).message ?? String(e);
  return new GPUPipelineError(msg, {
    reason: msg.startsWith('internal') ? 'internal' : 'validation',
  });
}

// ------------------------------------------------------------------------------------------
// Queue
// ------------------------------------------------------------------------------------------

/** GPUQueue (WebGPU §19). */
export class GPUQueue {
  label = '';
  constructor(private readonly device: GPUDevice) {}

  submit(commandBuffers: Iterable<GPUCommandBuffer>): void {
    const ids: number[] = [];
    for (const cb of commandBuffers) ids.push(cb._id);
    N().queueSubmit(this.device._id, ids);
    this.device.drainErrors();
  }

  /** `dataOffset`/`size` are in elements for typed arrays, bytes for ArrayBuffers. */
  writeBuffer(
    buffer: GPUBuffer,
    bufferOffset: number,
    data: BufferSource | SharedArrayBuffer,
    dataOffset = 0,
    size?: number,
  ): void {
    N().queueWriteBuffer(
      this.device._id,
      handleOf(buffer),
      bufferOffset,
      bytesOf(data, dataOffset, size),
    );
  }

  writeTexture(
    destination: GPUTexelCopyTextureInfo,
    data: BufferSource | SharedArrayBuffer,
    dataLayout: GPUTexelCopyBufferLayout,
    size: GPUExtent3D,
  ): void {
    const d = { texture: texCopy(destination), buffer: bufCopy(dataLayout), size: extent3d(size) };
    N().queueWriteTexture(this.device._id, JSON.stringify(d), bytesOf(data));
  }

  /** Supports ImageData-like sources (`{data, width, height}`, RGBA8) only. */
  copyExternalImageToTexture(
    source: { source: any; origin?: GPUOrigin2D; flipY?: boolean },
    destination: GPUCopyExternalImageDestInfo,
    copySize: GPUExtent3D,
  ): void {
    const src = source.source as { data?: ArrayBufferView; width?: number; height?: number };
    if (!src || !src.data || !src.width) {
      throw new TypeError(
        'copyExternalImageToTexture: only ImageData-like sources are supported in Node',
      );
    }
    const [w, h] = extent3d(copySize);
    const bytes = new Uint8Array(src.data.buffer, src.data.byteOffset, src.data.byteLength);
    let data = bytes;
    if (source.flipY) {
      data = new Uint8Array(bytes.length);
      const row = src.width * 4;
      for (let y = 0; y < h; y++)
        data.set(bytes.subarray((h - 1 - y) * row, (h - y) * row), y * row);
    }
    this.writeTexture(
      destination,
      data as BufferSource,
      { bytesPerRow: src.width * 4, rowsPerImage: src.height },
      [w, h, 1],
    );
  }

  /** Resolves when all work submitted so far has completed (waits on a worker thread). */
  onSubmittedWorkDone(): Promise<undefined> {
    return N()
      .queueOnSubmittedWorkDone(this.device._id)
      .then(() => undefined);
  }
}

// ------------------------------------------------------------------------------------------
// Resources
// ------------------------------------------------------------------------------------------

/**
 * GPUBuffer (WebGPU §5). Mapped ranges are JS-owned ArrayBuffers: filled from the mapping at
 * `getMappedRange()` (READ), written back at `unmap()` (WRITE / mappedAtCreation), and detached at
 * `unmap()` as the spec requires.
 */
export class GPUBufferImpl extends GPUObjectBase {
  readonly size: number;
  readonly usage: number;
  mapState: GPUBufferMapState;
  private mapMode = 0;
  private mapOffset = 0;
  private mapSize = 0;
  private ranges: { offset: number; ab: ArrayBuffer; write: boolean }[] = [];
  private pending: Promise<undefined> | null = null;
  private abortPending: ((e: Error) => void) | null = null;

  constructor(
    id: number,
    private readonly device: GPUDevice,
    size: number,
    usage: number,
    mappedAtCreation: boolean,
    label?: string,
  ) {
    super(id, label);
    this.size = size;
    this.usage = usage;
    this.mapState = mappedAtCreation ? 'mapped' : 'unmapped';
    if (mappedAtCreation) {
      this.mapMode = GPUMapMode.WRITE;
      this.mapSize = size;
    }
  }

  /** Maps the buffer without blocking the event loop (the wait runs on a worker thread). */
  mapAsync(mode: number, offset = 0, size?: number): Promise<undefined> {
    if (this.mapState !== 'unmapped') {
      return Promise.reject(operationError(`mapAsync: buffer is ${this.mapState}`));
    }
    const len = size ?? Math.max(0, this.size - offset);
    this.mapState = 'pending';
    const p = new Promise<undefined>((resolve, reject) => {
      this.abortPending = reject;
      N()
        .bufferMapAsync(this.device._id, this._id, mode, offset, len)
        .then(
          () => {
            if (this.pending !== p) return;
            this.pending = null;
            this.abortPending = null;
            this.mapState = 'mapped';
            this.mapMode = mode;
            this.mapOffset = offset;
            this.mapSize = len;
            resolve(undefined);
          },
          (e: Error) => {
            if (this.pending !== p) return;
            this.pending = null;
            this.abortPending = null;
            this.mapState = 'unmapped';
            reject(operationError(e.message));
          },
        );
    });
    this.pending = p;
    return p;
  }

  /** Returns an ArrayBuffer of the mapped bytes (a copy for READ maps; written back at unmap). */
  getMappedRange(offset = 0, size?: number): ArrayBuffer {
    if (this.mapState !== 'mapped') throw operationError('getMappedRange: buffer is not mapped');
    const len = size ?? Math.max(0, this.mapOffset + this.mapSize - offset);
    if (offset < this.mapOffset || offset + len > this.mapOffset + this.mapSize) {
      throw operationError('getMappedRange: range outside the mapped range');
    }
    for (const r of this.ranges) {
      if (offset < r.offset + r.ab.byteLength && r.offset < offset + len) {
        throw operationError('getMappedRange: overlaps a range already returned');
      }
    }
    const write = (this.mapMode & GPUMapMode.WRITE) !== 0;
    const ab = new ArrayBuffer(len);
    if (!write && len > 0) N().bufferReadMappedInto(this._id, offset, new Uint8Array(ab));
    this.ranges.push({ offset, ab, write });
    return ab;
  }

  unmap(): void {
    if (this.mapState === 'pending') {
      this.pending = null;
      this.mapState = 'unmapped';
      this.abortPending?.(new DOMException('mapAsync aborted by unmap()', 'AbortError'));
      this.abortPending = null;
      N().bufferUnmap(this._id);
      return;
    }
    if (this.mapState !== 'mapped') return;
    const n = N();
    for (const r of this.ranges) {
      if (r.write && r.ab.byteLength > 0)
        n.bufferWriteMapped(this._id, r.offset, new Uint8Array(r.ab));
      detach(r.ab);
    }
    this.ranges = [];
    n.bufferUnmap(this._id);
    this.mapState = 'unmapped';
  }

  destroy(): void {
    if (this.mapState !== 'unmapped') this.unmap();
    N().bufferDestroy(this._id);
  }
}

function detach(ab: ArrayBuffer): void {
  try {
    structuredClone(ab, { transfer: [ab] });
  } catch {
    // Already detached, or not transferable (external memory): nothing to do.
  }
}

interface TextureFacts {
  size: [number, number, number];
  mipLevelCount: number;
  sampleCount: number;
  dimension: GPUTextureDimension;
  format: GPUTextureFormat;
  usage: number;
  label?: string;
}

/** GPUTexture (WebGPU §6.1). */
export class GPUTexture extends GPUObjectBase {
  readonly width: number;
  readonly height: number;
  readonly depthOrArrayLayers: number;
  readonly mipLevelCount: number;
  readonly sampleCount: number;
  readonly dimension: GPUTextureDimension;
  readonly format: GPUTextureFormat;
  readonly usage: number;
  constructor(id: number, f: TextureFacts) {
    super(id, f.label);
    [this.width, this.height, this.depthOrArrayLayers] = f.size;
    this.mipLevelCount = f.mipLevelCount;
    this.sampleCount = f.sampleCount;
    this.dimension = f.dimension;
    this.format = f.format;
    this.usage = f.usage;
  }

  createView(desc?: GPUTextureViewDescriptor): GPUTextureView {
    const id = N().createView(this._id, desc ? JSON.stringify(desc) : undefined);
    const v = new GPUTextureView(id, desc?.label);
    v.texture = this;
    return v;
  }

  destroy(): void {
    N().textureDestroy(this._id);
  }
}

/** GPUTextureView (WebGPU §6.2). */
export class GPUTextureView extends GPUObjectBase {
  /** The texture this view is of (keeps it reachable while the view is). */
  texture: GPUTexture | undefined;
}
export class GPUSampler extends GPUObjectBase {}
export class GPUBindGroupLayout extends GPUObjectBase {}
export class GPUBindGroup extends GPUObjectBase {
  /** Views created implicitly for texture entries. */
  keep: object[] = [];
}
export class GPUPipelineLayout extends GPUObjectBase {}
export class GPURenderBundle extends GPUObjectBase {}
export class GPUCommandBuffer extends GPUObjectBase {}

/** GPUCompilationMessage / GPUCompilationInfo (WebGPU §9.1.2). */
export class GPUCompilationMessage {
  constructor(
    readonly message: string,
    readonly type: 'error' | 'warning' | 'info',
    readonly lineNum: number,
    readonly linePos: number,
    readonly offset: number,
    readonly length: number,
  ) {}
}
export class GPUCompilationInfo {
  constructor(readonly messages: readonly GPUCompilationMessage[]) {}
}

export class GPUShaderModule extends GPUObjectBase {
  async getCompilationInfo(): Promise<GPUCompilationInfo> {
    const msgs = N()
      .shaderCompilationInfo(this._id)
      .map(
        (m) =>
          new GPUCompilationMessage(
            m.message,
            m.kind as 'error' | 'warning' | 'info',
            m.lineNum,
            m.linePos,
            m.offset,
            m.length,
          ),
      );
    return new GPUCompilationInfo(msgs);
  }
}

class PipelineBase extends GPUObjectBase {
  getBindGroupLayout(index: number): GPUBindGroupLayout {
    return new GPUBindGroupLayout(N().pipelineBindGroupLayout(this._id, index));
  }
}
export class GPURenderPipeline extends PipelineBase {}
export class GPUComputePipeline extends PipelineBase {}

/** GPUQuerySet (WebGPU §20). */
export class GPUQuerySet extends GPUObjectBase {
  constructor(
    id: number,
    readonly type: GPUQueryType,
    readonly count: number,
    label?: string,
  ) {
    super(id, label);
  }
  destroy(): void {
    N().release(this._id);
    finalizer.unregister(this);
  }
}

// ------------------------------------------------------------------------------------------
// Command encoding
// ------------------------------------------------------------------------------------------

/** GPUCommandEncoder (WebGPU §13). Copies go straight to native; passes are recorded. */
export class GPUCommandEncoder extends GPUObjectBase {
  /** Objects used by the commands, kept alive until finish(). */
  private keep: object[] = [];
  constructor(
    id: number,
    readonly device: GPUDevice,
    label?: string,
  ) {
    super(id, label);
    // finish() consumes the native encoder; the finalizer must not release it twice.
    finalizer.unregister(this);
  }

  beginRenderPass(desc: GPURenderPassDescriptor): GPURenderPassEncoder {
    const descJson = json(desc);
    this.keep.push(desc);
    return new GPURenderPassEncoder(this, descJson, desc.label);
  }

  beginComputePass(desc?: GPUComputePassDescriptor): GPUComputePassEncoder {
    return new GPUComputePassEncoder(this, desc ? json(desc) : undefined, desc?.label);
  }

  copyBufferToBuffer(
    src: GPUBuffer,
    a: number,
    b?: GPUBuffer | number,
    c?: number,
    d?: number,
  ): void {
    // Both overloads: (src, srcOffset, dst, dstOffset, size?) and (src, dst, size?).
    if (typeof a === 'number' && b !== undefined && typeof b !== 'number') {
      N().encoderCopyBufferToBuffer(this._id, handleOf(src), a, handleOf(b), c ?? 0, d);
    } else {
      N().encoderCopyBufferToBuffer(
        this._id,
        handleOf(src),
        0,
        handleOf(a),
        0,
        b as number | undefined,
      );
    }
  }

  copyBufferToTexture(
    source: GPUTexelCopyBufferInfo,
    destination: GPUTexelCopyTextureInfo,
    size: GPUExtent3D,
  ): void {
    const d = { buffer: bufCopy(source), texture: texCopy(destination), size: extent3d(size) };
    N().encoderCopy(this._id, 'b2t', JSON.stringify(d));
  }

  copyTextureToBuffer(
    source: GPUTexelCopyTextureInfo,
    destination: GPUTexelCopyBufferInfo,
    size: GPUExtent3D,
  ): void {
    const d = { texture: texCopy(source), buffer: bufCopy(destination), size: extent3d(size) };
    N().encoderCopy(this._id, 't2b', JSON.stringify(d));
  }

  copyTextureToTexture(
    source: GPUTexelCopyTextureInfo,
    destination: GPUTexelCopyTextureInfo,
    size: GPUExtent3D,
  ): void {
    const d = { texture: texCopy(source), texture2: texCopy(destination), size: extent3d(size) };
    N().encoderCopy(this._id, 't2t', JSON.stringify(d));
  }

  clearBuffer(buffer: GPUBuffer, offset = 0, size?: number): void {
    N().encoderClearBuffer(this._id, handleOf(buffer), offset, size);
  }

  resolveQuerySet(
    querySet: GPUQuerySet,
    firstQuery: number,
    queryCount: number,
    destination: GPUBuffer,
    destinationOffset: number,
  ): void {
    N().encoderResolveQuerySet(
      this._id,
      querySet._id,
      firstQuery,
      queryCount,
      handleOf(destination),
      destinationOffset,
    );
  }

  pushDebugGroup(label: string): void {
    N().encoderDebug(this._id, 'push', label);
  }
  popDebugGroup(): void {
    N().encoderDebug(this._id, 'pop');
  }
  insertDebugMarker(label: string): void {
    N().encoderDebug(this._id, 'insert', label);
  }

  finish(desc: GPUCommandBufferDescriptor = {}): GPUCommandBuffer {
    const id = N().encoderFinish(this._id, desc.label);
    this.keep = [];
    return new GPUCommandBuffer(id, desc.label);
  }
}

/** Commands shared by render passes and render bundles (GPURenderCommandsMixin). */
class RenderCommands {
  protected rec = CommandRecorder.take();
  label = '';

  setPipeline(pipeline: GPURenderPipeline): void {
    this.rec.setPipeline(pipeline);
  }

  setBindGroup(
    index: number,
    group: GPUBindGroup | null,
    offsets?: Iterable<number> | Uint32Array,
    start?: number,
    length?: number,
  ): void {
    this.rec.setBindGroup(index, group, offsets, start, length);
  }

  setVertexBuffer(slot: number, buffer: GPUBuffer | null, offset = 0, size?: number): void {
    if (buffer) this.rec.refs.push(buffer);
    this.rec.u(Op.SetVertexBuffer, slot, handleOf(buffer), offset, size ?? WHOLE);
  }

  setIndexBuffer(buffer: GPUBuffer, format: GPUIndexFormat, offset = 0, size?: number): void {
    this.rec.refs.push(buffer);
    this.rec.u(
      Op.SetIndexBuffer,
      handleOf(buffer),
      format === 'uint32' ? 1 : 0,
      offset,
      size ?? WHOLE,
    );
  }

  draw(vertexCount: number, instanceCount = 1, firstVertex = 0, firstInstance = 0): void {
    this.rec.u(Op.Draw, vertexCount, instanceCount, firstVertex, firstInstance);
  }

  drawIndexed(
    indexCount: number,
    instanceCount = 1,
    firstIndex = 0,
    baseVertex = 0,
    firstInstance = 0,
  ): void {
    this.rec.u(
      Op.DrawIndexed,
      indexCount,
      instanceCount,
      firstIndex,
      baseVertex >>> 0,
      firstInstance,
    );
  }

  drawIndirect(indirectBuffer: GPUBuffer, indirectOffset: number): void {
    this.rec.refs.push(indirectBuffer);
    this.rec.u(Op.DrawIndirect, handleOf(indirectBuffer), indirectOffset);
  }

  drawIndexedIndirect(indirectBuffer: GPUBuffer, indirectOffset: number): void {
    this.rec.refs.push(indirectBuffer);
    this.rec.u(Op.DrawIndexedIndirect, handleOf(indirectBuffer), indirectOffset);
  }

  pushDebugGroup(_label: string): void {}
  popDebugGroup(): void {}
  insertDebugMarker(_label: string): void {}
}

/** GPURenderPassEncoder (WebGPU §17). Recorded; replayed natively at `end()`. */
export class GPURenderPassEncoder extends RenderCommands {
  private ended = false;
  constructor(
    private readonly encoder: GPUCommandEncoder,
    private readonly descJson: string,
    label?: string,
  ) {
    super();
    this.label = label ?? '';
  }

  setViewport(
    x: number,
    y: number,
    width: number,
    height: number,
    minDepth: number,
    maxDepth: number,
  ): void {
    const r = this.rec;
    r.u(Op.SetViewport);
    r.f(x);
    r.f(y);
    r.f(width);
    r.f(height);
    r.f(minDepth);
    r.f(maxDepth);
  }

  setScissorRect(x: number, y: number, width: number, height: number): void {
    this.rec.u(Op.SetScissor, x, y, width, height);
  }

  setBlendConstant(color: GPUColor): void {
    const c = Array.isArray(color)
      ? color
      : [
          (color as GPUColorDict).r,
          (color as GPUColorDict).g,
          (color as GPUColorDict).b,
          (color as GPUColorDict).a,
        ];
    this.rec.u(Op.SetBlendConstant);
    for (let i = 0; i < 4; i++) this.rec.f(Number(c[i] ?? 0));
  }

  setStencilReference(reference: number): void {
    this.rec.u(Op.SetStencilRef, reference);
  }

  beginOcclusionQuery(queryIndex: number): void {
    this.rec.u(Op.BeginOcclusion, queryIndex);
  }

  endOcclusionQuery(): void {
    this.rec.u(Op.EndOcclusion);
  }

  executeBundles(bundles: Iterable<GPURenderBundle>): void {
    const ids: number[] = [];
    for (const b of bundles) {
      this.rec.refs.push(b);
      ids.push(b._id);
    }
    this.rec.u(Op.ExecuteBundles, ids.length);
    this.rec.many(ids);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    try {
      N().encoderRenderPass(this.encoder._id, this.descJson, this.rec.view());
    } finally {
      this.rec.recycle();
    }
  }
}

/** GPUComputePassEncoder (WebGPU §16). Recorded; replayed natively at `end()`. */
export class GPUComputePassEncoder {
  label: string;
  private rec = CommandRecorder.take();
  private ended = false;
  constructor(
    private readonly encoder: GPUCommandEncoder,
    private readonly descJson: string | undefined,
    label?: string,
  ) {
    this.label = label ?? '';
  }

  setPipeline(pipeline: GPUComputePipeline): void {
    this.rec.setPipeline(pipeline);
  }

  setBindGroup(
    index: number,
    group: GPUBindGroup | null,
    offsets?: Iterable<number> | Uint32Array,
    start?: number,
    length?: number,
  ): void {
    this.rec.setBindGroup(index, group, offsets, start, length);
  }

  dispatchWorkgroups(x: number, y = 1, z = 1): void {
    this.rec.u(Op.Dispatch, x, y, z);
  }

  dispatchWorkgroupsIndirect(indirectBuffer: GPUBuffer, indirectOffset: number): void {
    this.rec.refs.push(indirectBuffer);
    this.rec.u(Op.DispatchIndirect, handleOf(indirectBuffer), indirectOffset);
  }

  pushDebugGroup(_label: string): void {}
  popDebugGroup(): void {}
  insertDebugMarker(_label: string): void {}

  end(): void {
    if (this.ended) return;
    this.ended = true;
    try {
      N().encoderComputePass(this.encoder._id, this.descJson, this.rec.view());
    } finally {
      this.rec.recycle();
    }
  }
}

/** GPURenderBundleEncoder (WebGPU §18). Recorded; built natively at `finish()`. */
export class GPURenderBundleEncoder extends RenderCommands {
  /**
   * The descriptor as it was at creation: WebGPU reads it then, and callers may reuse the object
   * (three.js r187 pools its descriptors and resets them right after `createRenderBundleEncoder`).
   */
  private readonly layout: {
    colorFormats: (GPUTextureFormat | null | undefined)[];
    depthStencilFormat: GPUTextureFormat | undefined;
    sampleCount: number;
    depthReadOnly: boolean;
    stencilReadOnly: boolean;
  };

  constructor(
    private readonly device: GPUDevice,
    desc: GPURenderBundleEncoderDescriptor,
  ) {
    super();
    this.label = desc.label ?? '';
    this.layout = {
      colorFormats: [...desc.colorFormats],
      depthStencilFormat: desc.depthStencilFormat,
      sampleCount: desc.sampleCount ?? 1,
      depthReadOnly: desc.depthReadOnly ?? false,
      stencilReadOnly: desc.stencilReadOnly ?? false,
    };
  }

  finish(desc: GPURenderBundleDescriptor = {}): GPURenderBundle {
    const d = this.layout;
    try {
      const id = N().createRenderBundle(
        this.device._id,
        JSON.stringify(d),
        this.rec.view(),
        desc.label,
      );
      return new GPURenderBundle(id, desc.label);
    } finally {
      this.rec.recycle();
    }
  }
}

/** The classes installed as globals (`GPUDevice`, `GPURenderBundleEncoder`, ...). */
export const webgpuClasses: Record<string, unknown> = {
  GPU,
  GPUAdapter,
  GPUAdapterInfo,
  GPUDevice,
  GPUQueue,
  GPUBuffer: GPUBufferImpl,
  GPUTexture,
  GPUTextureView,
  GPUSampler,
  GPUBindGroupLayout,
  GPUBindGroup,
  GPUPipelineLayout,
  GPUShaderModule,
  GPUCompilationInfo,
  GPUCompilationMessage,
  GPURenderPipeline,
  GPUComputePipeline,
  GPUCommandEncoder,
  GPUCommandBuffer,
  GPURenderPassEncoder,
  GPUComputePassEncoder,
  GPURenderBundleEncoder,
  GPURenderBundle,
  GPUQuerySet,
  GPUSupportedFeatures,
  GPUSupportedLimits,
  GPUDeviceLostInfo,
  GPUError,
  GPUValidationError,
  GPUOutOfMemoryError,
  GPUInternalError,
  GPUPipelineError,
  GPUUncapturedErrorEvent,
  GPUBufferUsage,
  GPUTextureUsage,
  GPUMapMode,
  GPUShaderStage,
  GPUColorWrite,
};
