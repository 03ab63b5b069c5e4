/**
 * GPU colour conversion: the frame texture → NV12 (BT.709 limited range, pitched rows) in a
 * storage buffer, by one WGSL compute pass, plus the CPU readback of that buffer (1.5 B/pixel;
 * the RGBA frame never crosses to the CPU).
 *
 * Each invocation converts a 4x2 block of pixels: two u32 words of Y (one per row, 4 pixels each)
 * and one u32 word of interleaved CbCr (two 2x2 blocks), so every store is a whole aligned word.
 */
import { KB, KG, KR, nv12Pitch, nv12Size } from './bt709.ts';

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

/** Number of staging buffers for readback, so the next frame's copy never waits for a map. */
const STAGING_COUNT = 3;

/** Result of one conversion, ready to read back. */
export interface Nv12Job {
  /** Resolves with the NV12 bytes (a fresh copy owned by the caller) once the GPU finished. */
  readonly done: Promise<Uint8Array>;
  /** CPU ms spent recording and submitting the pass. */
  readonly submitMs: number;
}

/**
 * Converts frame textures of one size to NV12 on the GPU and reads them back.
 * Create one per stream size; {@link dispose} it when the size changes.
 */
export class Nv12Converter {
  /** Row pitch in bytes (multiple of 256). */
  readonly pitch: number;
  /** Size of one NV12 frame in bytes. */
  readonly size: number;
  /** The storage buffer the pass writes (STORAGE | COPY_SRC). */
  readonly target: GPUBuffer;
  private readonly pipeline: GPUComputePipeline;
  private readonly params: GPUBuffer;
  private readonly staging: { buffer: GPUBuffer; busy: boolean }[] = [];
  private bindGroup: GPUBindGroup | undefined;
  private boundTexture: GPUTexture | undefined;

  /**
   * @param device the device three.js renders with (the frame texture must come from it).
   * @param width frame width in pixels (even).
   * @param height frame height in pixels (even).
   * @throws Error on an odd size.
   */
  constructor(
    private readonly device: GPUDevice,
    readonly width: number,
    readonly height: number,
  ) {
    if (width % 2 || height % 2 || width <= 0 || height <= 0) {
      throw new Error(`NV12 needs a positive even size, got ${width}x${height}`);
    }
    this.pitch = nv12Pitch(width);
    this.size = nv12Size(this.pitch, height);
    const module = device.createShaderModule({ label: 'zerocast nv12', code: NV12_WGSL });
    this.pipeline = device.createComputePipeline({
      label: 'zerocast nv12',
      layout: 'auto',
      compute: { module, entryPoint: 'main' },
    });
    this.target = device.createBuffer({
      label: 'zerocast nv12 target',
      size: this.size,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
    });
    this.params = device.createBuffer({
      label: 'zerocast nv12 params',
      size: 16,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(this.params, 0, new Uint32Array([width, height, this.pitch, 0]));
    for (let i = 0; i < STAGING_COUNT; i++) {
      this.staging.push({
        buffer: device.createBuffer({
          label: `zerocast nv12 staging ${i}`,
          size: this.size,
          usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
        }),
        busy: false,
      });
    }
  }

  /** Whether a staging buffer is free for {@link convert}. */
  get canConvert(): boolean {
    return this.staging.some((s) => !s.busy);
  }

  /**
   * Records and submits the conversion of `texture` (the frame three.js just rendered) and the copy
   * of the result into a staging buffer, then maps it.
   * @throws Error when every staging buffer is still being read (check {@link canConvert}).
   */
  convert(texture: GPUTexture): Nv12Job {
    const t0 = performance.now();
    const slot = this.staging.find((s) => !s.busy);
    if (!slot) throw new Error('NV12 readback is behind: every staging buffer is in use');
    slot.busy = true;
    if (texture !== this.boundTexture || !this.bindGroup) {
      this.boundTexture = texture;
      this.bindGroup = this.device.createBindGroup({
        label: 'zerocast nv12',
        layout: this.pipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: texture.createView() },
          { binding: 1, resource: { buffer: this.target } },
          { binding: 2, resource: { buffer: this.params } },
        ],
      });
    }
    const encoder = this.device.createCommandEncoder({ label: 'zerocast nv12' });
    const pass = encoder.beginComputePass({ label: 'zerocast nv12' });
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, this.bindGroup);
    pass.dispatchWorkgroups(Math.ceil(this.width / 4 / 8), Math.ceil(this.height / 2 / 8));
    pass.end();
    encoder.copyBufferToBuffer(this.target, 0, slot.buffer, 0, this.size);
    this.device.queue.submit([encoder.finish()]);
    const submitMs = performance.now() - t0;
    const done = slot.buffer.mapAsync(GPUMapMode.READ).then(
      () => {
        const bytes = new Uint8Array(slot.buffer.getMappedRange()).slice();
        slot.buffer.unmap();
        slot.busy = false;
        return bytes;
      },
      (error: unknown) => {
        slot.busy = false;
        throw error;
      },
    );
    return { done, submitMs };
  }

  /** Frees the GPU buffers. */
  dispose(): void {
    this.target.destroy();
    this.params.destroy();
    for (const s of this.staging) s.buffer.destroy();
  }
}
