/**
 * GPU colour conversion: the frame texture → NV12 (BT.709 limited range, pitched rows) in a
 * storage buffer, by one WGSL compute pass, plus the CPU readback of that buffer (1.5 B/pixel;
 * the RGBA frame never crosses to the CPU).
 *
 * Zero-copy (Linux/Vulkan, issue 4): with `export: 'auto'` and a device that exports memory and
 * semaphores (`requestDevice({ zerocastExportable: true })`, VK_KHR_external_memory_fd +
 * VK_KHR_external_semaphore_fd), the pass writes into a **ring of exported targets**: each slot
 * is a buffer on dedicated OPAQUE_FD memory plus an exported timeline semaphore. The submit that
 * writes frame N into slot k also signals slot k's semaphore with N (frame numbers start at 1 and
 * increase by one per convert, so every slot's values increase). The encoder imports every slot
 * once ({@link Nv12Converter.encoderTarget} → `selectEncoder(cfg, { gpu })`), waits for value N on
 * slot k before reading, and the converter never writes a slot again before its job was
 * released ({@link Nv12Job.release}, after the encode that reads it settled): no torn frames.
 *
 * Teardown order: close the encoder (it frees the CUDA imports) before {@link Nv12Converter.dispose}
 * (which frees the Vulkan buffers and semaphores), and dispose before destroying the device.
 *
 * Each invocation converts a 4x2 block of pixels: two u32 words of Y (one per row, 4 pixels each)
 * and one u32 word of interleaved CbCr (two 2x2 blocks), so every store is a whole aligned word.
 */
import { closeSync } from 'node:fs';
import { KB, KG, KR, nv12Pitch, nv12Size } from './bt709.ts';
import type { ExportedNv12Target, ExportUnavailable } from '../encode/cuda.ts';
import {
  createExportedBuffer,
  createTimeline,
  exportCapabilities,
  type TimelineSemaphore,
} from '../webgpu/export.ts';

/** WGSL of the conversion pass. `params` = (width, height, pitch in bytes, unused). */
export const NV12_WGSL = /* wgsl */ `
@group(0) @binding(0) var frame: texture_2d<f32>;
@group(0) @binding(1) var<storage, read_write> nv12: array<u32>;
@group(0) @binding(2) var<uniform> params: vec4<u32>;

const KR: f32 = ${KR};
const KG: f32 = ${KG};
const KB: f32 = ${KB};

fn load(x: u32, y: u32) -> vec3<f32> {
  let p = vec2<u32>(min(x, params.x - 1u), min(y, params.y - 1u));
  return textureLoad(frame, p, 0).rgb;
}

fn luma(c: vec3<f32>) -> f32 { return KR * c.r + KG * c.g + KB * c.b; }

fn yByte(c: vec3<f32>) -> u32 { return u32(clamp(floor(16.0 + 219.0 * luma(c) + 0.5), 0.0, 255.0)); }

fn cbcr(c: vec3<f32>) -> u32 {
  let y = luma(c);
  let cb = clamp(floor(128.0 + 224.0 * (c.b - y) / (2.0 * (1.0 - KB)) + 0.5), 0.0, 255.0);
  let cr = clamp(floor(128.0 + 224.0 * (c.r - y) / (2.0 * (1.0 - KR)) + 0.5), 0.0, 255.0);
  return u32(cb) | (u32(cr) << 8u);
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let x0 = id.x * 4u;
  let y0 = id.y * 2u;
  if (x0 >= params.x || y0 >= params.y) { return; }
  let pitch = params.z;
  var row0 = 0u;
  var row1 = 0u;
  var sums: array<vec3<f32>, 2>;
  for (var i = 0u; i < 4u; i++) {
    let a = load(x0 + i, y0);
    let b = load(x0 + i, y0 + 1u);
    row0 |= yByte(a) << (8u * i);
    row1 |= yByte(b) << (8u * i);
    sums[i / 2u] += a + b;
  }
  nv12[(y0 * pitch + x0) / 4u] = row0;
  nv12[((y0 + 1u) * pitch + x0) / 4u] = row1;
  let uv = cbcr(sums[0] * 0.25) | (cbcr(sums[1] * 0.25) << 16u);
  nv12[(params.y * pitch + (y0 / 2u) * pitch + x0) / 4u] = uv;
}
`;

/** Default number of slots in the ring (one more than frames overlap in the engine is not needed:
 * a slot is busy from its convert until its job is released). */
export const DEFAULT_RING = 3;

/**
 * Where the pass writes:
 * - `off`: plain storage buffers (the mapAsync path);
 * - `auto`: exported memory + exported timeline semaphores when the device has both (the
 *   zero-copy path), else plain buffers, with {@link Nv12Converter.exportUnavailable} saying why;
 * - `memory`: exported memory without semaphores (to import the bytes elsewhere, e.g. into a
 *   second Vulkan device in tests; lavapipe has this); throws when the device cannot export memory.
 */
export type Nv12ExportMode = 'off' | 'auto' | 'memory';

/** Options of {@link Nv12Converter}. */
export interface Nv12ConverterOptions {
  /** Default `off`. */
  export?: Nv12ExportMode;
  /** Slots in the ring (1..16, default {@link DEFAULT_RING}). */
  ring?: number;
}

/** Options of one {@link Nv12Converter.convert}. */
export interface ConvertOptions {
  /**
   * Also copy the NV12 into a staging buffer in the same submit and map it ({@link Nv12Job.done}).
   * Default true. The zero-copy path passes false unless someone needs the bytes on the CPU.
   */
  readback?: boolean;
}

/** One conversion in flight. */
export interface Nv12Job {
  /** Ring slot the frame was written into. */
  readonly slot: number;
  /**
   * Frame number (>= 1, one more than the previous convert's): with semaphores, the value the
   * slot's timeline semaphore was signalled with by this frame's submit.
   */
  readonly frameNumber: number;
  /**
   * Resolves with the NV12 bytes (a fresh copy owned by the caller) once the GPU finished; only
   * when `readback` was asked for, else undefined.
   */
  readonly done: Promise<Uint8Array> | undefined;
  /** CPU ms spent recording and submitting the pass. */
  readonly submitMs: number;
  /** `performance.now()` right after `queue.submit` (benchmarks measure from here). */
  readonly submittedAt: number;
  /**
   * Frees the slot for a later convert. With exported targets call it once the reader (the
   * encoder) is done with the frame, i.e. after its encode settled; without, the slot frees
   * itself when `done` settles (or at once without readback) and this is a no-op. Idempotent.
   */
  release(): void;
}

/** Export of one ring slot, as handed to an importer (sizes in bytes, dimensions in pixels). */
export interface Nv12SlotExport {
  slot: number;
  /** OPAQUE_FD of the slot's dedicated memory; owned by whoever took it. */
  memoryFd: number;
  /** OPAQUE_FD of the slot's timeline semaphore (absent in `memory` mode). */
  semaphoreFd?: number;
  /** Bytes the buffer was created with (NV12 frame bytes). */
  size: number;
  /** Bytes of the allocation (what CUDA's import needs). */
  allocationSize: number;
  pitch: number;
  width: number;
  height: number;
  /** Vulkan deviceUUID (32 hex digits). */
  deviceUuid?: string;
}

interface Slot {
  readonly target: GPUBuffer;
  memoryFd: number | null;
  readonly allocationSize: number;
  readonly timeline: TimelineSemaphore | undefined;
  semaphoreFd: number | null;
  staging: GPUBuffer | undefined;
  bindGroup: GPUBindGroup | undefined;
  boundTexture: GPUTexture | undefined;
  busy: boolean;
}

/** One compiled pipeline per device, shared by its converters (a resize does not recompile). */
const pipelines = new WeakMap<GPUDevice, GPUComputePipeline>();

function nv12Pipeline(device: GPUDevice): GPUComputePipeline {
  let pipeline = pipelines.get(device);
  if (!pipeline) {
    const module = device.createShaderModule({ label: 'zerocast nv12', code: NV12_WGSL });
    pipeline = device.createComputePipeline({
      label: 'zerocast nv12',
      layout: 'auto',
      compute: { module, entryPoint: 'main' },
    });
    pipelines.set(device, pipeline);
  }
  return pipeline;
}

function closeFd(fd: number | null): void {
  if (fd === null || fd < 0) return;
  try {
    closeSync(fd);
  } catch {
    // already closed: nothing to do
  }
}

/**
 * Converts frame textures of one size to NV12 on the GPU, into a ring of target buffers
 * (exported for CUDA on the zero-copy path), and optionally reads them back.
 * Create one per stream size; {@link dispose} it when the size changes.
 */
export class Nv12Converter {
  /** Row pitch in bytes (multiple of 256). */
  readonly pitch: number;
  /** Size of one NV12 frame in bytes. */
  readonly size: number;
  /** True when the targets are on exported memory (`auto` with export, or `memory`). */
  readonly exported: boolean;
  /** True when every slot also has an exported timeline semaphore (the zero-copy path). */
  readonly semaphores: boolean;
  /** Why `auto` fell back to plain buffers (undefined when exported or `off`). */
  readonly exportUnavailable: string | undefined;
  private readonly pipeline: GPUComputePipeline;
  private readonly params: GPUBuffer;
  private readonly slots: Slot[] = [];
  private readonly deviceUuid: string | undefined;
  private nextSlot = 0;
  private nextFrameNumber = 1;
  private exportTaken = false;
  private disposed = false;

  /**
   * @param device the device three.js renders with (the frame texture must come from it).
   * @param width frame width in pixels (even).
   * @param height frame height in pixels (even).
   * @throws Error on an odd size, a bad ring size, or in `memory` mode when the device cannot
   *   export memory (message says why).
   */
  constructor(
    private readonly device: GPUDevice,
    readonly width: number,
    readonly height: number,
    options: Nv12ConverterOptions = {},
  ) {
    if (width % 2 || height % 2 || width <= 0 || height <= 0) {
      throw new Error(`NV12 needs a positive even size, got ${width}x${height}`);
    }
    const ring = options.ring ?? DEFAULT_RING;
    if (!Number.isInteger(ring) || ring < 1 || ring > 16) {
      throw new RangeError(`NV12 ring must be 1..16 slots, got ${ring}`);
    }
    this.pitch = nv12Pitch(width);
    this.size = nv12Size(this.pitch, height);
    const mode = options.export ?? 'off';
    let exported = false;
    let semaphores = false;
    let unavailable: string | undefined;
    let uuid: string | undefined;
    if (mode !== 'off') {
      let caps: { memoryFd: boolean; semaphoreFd: boolean; deviceUuid?: string };
      try {
        caps = exportCapabilities(device);
      } catch (err) {
        caps = { memoryFd: false, semaphoreFd: false };
        unavailable = (err as Error).message;
      }
      uuid = caps.deviceUuid;
      if (!caps.memoryFd) unavailable ??= 'adapter lacks VK_KHR_external_memory_fd';
      else if (mode === 'auto' && !caps.semaphoreFd)
        unavailable = 'adapter lacks VK_KHR_external_semaphore_fd';
      if (mode === 'memory' && unavailable) throw new Error(`NV12 export: ${unavailable}`);
      exported = unavailable === undefined;
      semaphores = exported && mode === 'auto';
    }
    this.deviceUuid = uuid;
    this.pipeline = nv12Pipeline(device);
    this.params = device.createBuffer({
      label: 'zerocast nv12 params',
      size: 16,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(this.params, 0, new Uint32Array([width, height, this.pitch, 0]));
    try {
      for (let i = 0; i < ring; i++) this.slots.push(this.createSlot(i, exported, semaphores));
    } catch (err) {
      if (mode === 'memory' || mode === 'off') {
        this.dispose();
        throw err;
      }
      // auto: creating an exported slot failed; fall back to plain buffers and say why.
      this.freeSlots();
      unavailable = `exporting the NV12 target failed: ${(err as Error).message}`;
      exported = false;
      semaphores = false;
      for (let i = 0; i < ring; i++) this.slots.push(this.createSlot(i, false, false));
    }
    this.exported = exported;
    this.semaphores = semaphores;
    this.exportUnavailable = unavailable;
  }

  private createSlot(i: number, exported: boolean, semaphore: boolean): Slot {
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC;
    const label = `zerocast nv12 target ${i}`;
    if (!exported) {
      const target = this.device.createBuffer({ label, size: this.size, usage });
      return this.slot(target, null, this.size, undefined);
    }
    const exp = createExportedBuffer(this.device, { size: this.size, usage, label });
    const slot = this.slot(exp.buffer, exp.memoryFd, exp.allocationSize, undefined);
    if (!semaphore) return slot;
    try {
      const timeline = createTimeline(this.device, { export: true });
      return { ...slot, timeline, semaphoreFd: timeline.fd };
    } catch (err) {
      closeFd(exp.memoryFd);
      exp.buffer.destroy();
      throw err;
    }
  }

  private slot(
    target: GPUBuffer,
    memoryFd: number | null,
    allocationSize: number,
    timeline: TimelineSemaphore | undefined,
  ): Slot {
    return {
      target,
      memoryFd,
      allocationSize,
      timeline,
      semaphoreFd: null,
      staging: undefined,
      bindGroup: undefined,
      boundTexture: undefined,
      busy: false,
    };
  }

  /** Number of slots in the ring. */
  get ringSize(): number {
    return this.slots.length;
  }

  /** Whether a slot is free for {@link convert}. */
  get canConvert(): boolean {
    return !this.disposed && this.slots.some((s) => !s.busy);
  }

  /** The GPU buffer of ring slot `slot` (tests and benchmarks). */
  target(slot: number): GPUBuffer {
    const s = this.slots[slot];
    if (!s) throw new RangeError(`no NV12 slot ${slot}`);
    return s.target;
  }

  /**
   * Hands out the exported fds of every slot (once; the caller owns them from here: pass them to
   * an importer, which closes them, or close them). @throws Error when the targets are not
   * exported or the fds were already taken.
   */
  takeExports(): Nv12SlotExport[] {
    if (!this.exported) {
      throw new Error(
        `the NV12 targets are not exported (${this.exportUnavailable ?? 'export off'})`,
      );
    }
    if (this.exportTaken) throw new Error('the NV12 export fds were already taken');
    this.exportTaken = true;
    return this.slots.map((s, slot) => {
      const e: Nv12SlotExport = {
        slot,
        memoryFd: s.memoryFd!,
        size: this.size,
        allocationSize: s.allocationSize,
        pitch: this.pitch,
        width: this.width,
        height: this.height,
        ...(this.deviceUuid ? { deviceUuid: this.deviceUuid } : {}),
        ...(s.semaphoreFd !== null ? { semaphoreFd: s.semaphoreFd } : {}),
      };
      s.memoryFd = null;
      s.semaphoreFd = null;
      return e;
    });
  }

  /**
   * What `selectEncoder(config, { gpu })` takes: the ring's CUDA-importable descriptors
   * (slot = index; the fds pass to the encoder, see {@link takeExports}), or why there is none.
   */
  encoderTarget(): ExportedNv12Target[] | ExportUnavailable {
    if (!this.semaphores) {
      return {
        unavailable: this.exported
          ? 'the NV12 targets were exported without timeline semaphores'
          : (this.exportUnavailable ?? 'NV12 export is off'),
      };
    }
    return this.takeExports().map((e) => ({
      memoryFd: e.memoryFd,
      semaphoreFd: e.semaphoreFd!,
      size: e.allocationSize,
      pitch: e.pitch,
      width: e.width,
      height: e.height,
      ...(e.deviceUuid ? { deviceUuid: e.deviceUuid } : {}),
    }));
  }

  /**
   * Records and submits the conversion of `texture` (the frame three.js just rendered) into a
   * free ring slot; with semaphores that submit signals the slot's timeline with the job's
   * frame number; with `readback`, the same submit copies the NV12 into a staging buffer, which
   * is then mapped.
   * @throws Error when every slot is busy (check {@link canConvert}) or after {@link dispose}.
   */
  convert(texture: GPUTexture, options: ConvertOptions = {}): Nv12Job {
    const t0 = performance.now();
    if (this.disposed) throw new Error('the NV12 converter is disposed');
    const n = this.slots.length;
    let index = -1;
    for (let i = 0; i < n; i++) {
      const k = (this.nextSlot + i) % n;
      if (!this.slots[k]!.busy) {
        index = k;
        break;
      }
    }
    if (index < 0) throw new Error('NV12 conversion is behind: every ring slot is in use');
    const slot = this.slots[index]!;
    this.nextSlot = (index + 1) % n;
    slot.busy = true;
    const readback = options.readback ?? true;
    if (texture !== slot.boundTexture || !slot.bindGroup) {
      slot.boundTexture = texture;
      slot.bindGroup = this.device.createBindGroup({
        label: 'zerocast nv12',
        layout: this.pipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: texture.createView() },
          { binding: 1, resource: { buffer: slot.target } },
          { binding: 2, resource: { buffer: this.params } },
        ],
      });
    }
    const encoder = this.device.createCommandEncoder({ label: 'zerocast nv12' });
    const pass = encoder.beginComputePass({ label: 'zerocast nv12' });
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, slot.bindGroup);
    pass.dispatchWorkgroups(Math.ceil(this.width / 4 / 8), Math.ceil(this.height / 2 / 8));
    pass.end();
    let staging: GPUBuffer | undefined;
    if (readback) {
      staging = slot.staging ??= this.device.createBuffer({
        label: `zerocast nv12 staging ${index}`,
        size: this.size,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      });
      encoder.copyBufferToBuffer(slot.target, 0, staging, 0, this.size);
    }
    const frameNumber = this.nextFrameNumber++;
    // Staged right before the submit (nothing else submits in between: this is synchronous).
    slot.timeline?.signalOnNextSubmit(frameNumber);
    this.device.queue.submit([encoder.finish()]);
    const submittedAt = performance.now();
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      slot.busy = false;
    };
    const autoRelease = !this.exported;
    const done = staging
      ? staging.mapAsync(GPUMapMode.READ).then(
          () => {
            const bytes = new Uint8Array(staging.getMappedRange()).slice();
            staging.unmap();
            if (autoRelease) release();
            return bytes;
          },
          (error: unknown) => {
            if (autoRelease) release();
            throw error;
          },
        )
      : undefined;
    if (!done && autoRelease) release();
    return {
      slot: index,
      frameNumber,
      done,
      submitMs: submittedAt - t0,
      submittedAt,
      release: autoRelease ? () => {} : release,
    };
  }

  private freeSlots(): void {
    for (const s of this.slots.splice(0)) {
      closeFd(s.memoryFd);
      closeFd(s.semaphoreFd);
      s.memoryFd = null;
      s.semaphoreFd = null;
      s.target.destroy();
      s.staging?.destroy();
      s.timeline?.destroy(); // waits for the device to finish the submits that signal it
    }
  }

  /**
   * Frees the GPU buffers and semaphores, and closes the export fds nobody took. With exported
   * targets, close the encoder that imported them first. Idempotent.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.freeSlots();
    this.params.destroy();
  }
}
