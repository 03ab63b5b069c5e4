/**
 * The WebGPU bridge on the real adapter (lavapipe on CI): buffers, compute, render passes, error
 * scopes, non-blocking mapping, async pipelines, bundles, and the no-adapter error.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { getAdapterInfo, readTexture } from './index.ts';
import { computeReadback, openTestDevice } from './test-support.ts';

let device: GPUDevice;

const here = path.dirname(fileURLToPath(import.meta.url));

beforeAll(async () => {
  device = await openTestDevice();
});

function target(
  width: number,
  height: number,
  format: GPUTextureFormat = 'rgba8unorm',
): GPUTexture {
  return device.createTexture({
    size: [width, height],
    format,
    usage:
      GPUTextureUsage.RENDER_ATTACHMENT |
      GPUTextureUsage.COPY_SRC |
      GPUTextureUsage.TEXTURE_BINDING,
  });
}

function pixel(data: Uint8Array, width: number, x: number, y: number): number[] {
  const i = (y * width + x) * 4;
  return [data[i]!, data[i + 1]!, data[i + 2]!, data[i + 3]!];
}

const TRIANGLE_WGSL = /* wgsl */ `
struct Out { @builtin(position) pos: vec4f, @location(0) color: vec4f };
@group(0) @binding(0) var<uniform> tint: vec4f;
@vertex fn vs(@location(0) p: vec2f) -> Out {
  var o: Out;
  o.pos = vec4f(p, 0.0, 1.0);
  o.color = tint;
  return o;
}
@fragment fn fs(i: Out) -> @location(0) vec4f { return i.color; }
`;

describe('adapter', () => {
  it('reports the chosen adapter (name, backend, type)', () => {
    const info = getAdapterInfo();
    expect(info).toBeDefined();
    expect(info!.name.length).toBeGreaterThan(0);
    expect(['vulkan', 'metal']).toContain(info!.backend);
    expect(['discrete-gpu', 'integrated-gpu', 'virtual-gpu', 'cpu', 'other']).toContain(info!.type);
    expect(info!.software).toBe(info!.type === 'cpu');
  });

  it('installs the globals three.js needs', () => {
    const g = globalThis as Record<string, unknown>;
    expect(g.self).toBe(globalThis);
    expect(typeof g.GPURenderBundleEncoder).toBe('function');
    expect(GPUBufferUsage.MAP_READ).toBe(1);
    expect(GPUTextureUsage.RENDER_ATTACHMENT).toBe(16);
    expect(GPUShaderStage.COMPUTE).toBe(4);
    expect(GPUMapMode.WRITE).toBe(2);
    expect(navigator.gpu.getPreferredCanvasFormat()).toBe('rgba8unorm');
    expect(device.features.has('core-features-and-limits')).toBe(true);
    expect(device.limits.maxBindGroups).toBeGreaterThanOrEqual(4);
  });

  it('requestAnimationFrame really calls back', async () => {
    const t = await new Promise<number>((resolve) => requestAnimationFrame(resolve));
    expect(t).toBeGreaterThan(0);
    let called = false;
    const id = requestAnimationFrame(() => (called = true));
    cancelAnimationFrame(id);
    await new Promise((r) => setTimeout(r, 40));
    expect(called).toBe(false);
  });

  it('with no Vulkan driver, installWebGPU throws naming mesa-vulkan-drivers', () => {
    const script = `
      import('${path.join(here, 'install.ts').replaceAll('\\', '/')}').then(
        (m) => m.installWebGPU({ log: () => {} }).then(
          () => { console.log('UNEXPECTED-SUCCESS'); process.exit(0); },
          (e) => { console.log('ERR:' + e.message); process.exit(3); }));`;
    const env = {
      ...process.env,
      VK_DRIVER_FILES: '/nonexistent/zerocast-icd.json',
      VK_ICD_FILENAMES: '/nonexistent/zerocast-icd.json',
    };
    const tsx = path.resolve(here, '../../node_modules/.bin/tsx');
    const r = spawnSync(tsx, ['-e', script], { env, encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout).toContain('ERR:');
    expect(r.stdout).toContain('mesa-vulkan-drivers');
    expect(r.status).toBe(3);
  });
});

describe('buffers', () => {
  it('writeBuffer → copy → mapAsync(READ) round trip', async () => {
    const src = device.createBuffer({
      size: 1024,
      usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
    });
    const dst = device.createBuffer({
      size: 1024,
      usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ,
    });
    const data = new Uint32Array(256).map((_, i) => i * 7 + 3);
    device.queue.writeBuffer(src, 0, data);
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(src, 0, dst, 0, 1024);
    device.queue.submit([enc.finish()]);
    expect(dst.mapState).toBe('unmapped');
    const p = dst.mapAsync(GPUMapMode.READ);
    expect(dst.mapState).toBe('pending');
    await p;
    expect(dst.mapState).toBe('mapped');
    const range = dst.getMappedRange();
    expect(Array.from(new Uint32Array(range))).toEqual(Array.from(data));
    expect(() => dst.getMappedRange(0, 4)).toThrow(/overlaps/);
    dst.unmap();
    expect(dst.mapState).toBe('unmapped');
    expect(range.byteLength).toBe(0); // detached at unmap, as the spec says
  });

  it('mappedAtCreation writes land in the buffer; partial ranges and offsets work', async () => {
    const b = device.createBuffer({
      size: 64,
      usage: GPUBufferUsage.COPY_SRC,
      mappedAtCreation: true,
    });
    new Float32Array(b.getMappedRange(0, 32)).set([1, 2, 3, 4, 5, 6, 7, 8]);
    new Float32Array(b.getMappedRange(32, 32)).set([9, 10, 11, 12, 13, 14, 15, 16]);
    b.unmap();
    const r = device.createBuffer({
      size: 64,
      usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ,
    });
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(b, 0, r, 0, 64);
    device.queue.submit([enc.finish()]);
    await r.mapAsync(GPUMapMode.READ, 16, 32);
    expect(Array.from(new Float32Array(r.getMappedRange(16, 32)))).toEqual([
      5, 6, 7, 8, 9, 10, 11, 12,
    ]);
    r.unmap();
  });

  it('mapAsync(WRITE) then unmap uploads the bytes', async () => {
    const w = device.createBuffer({
      size: 16,
      usage: GPUBufferUsage.MAP_WRITE | GPUBufferUsage.COPY_SRC,
    });
    await w.mapAsync(GPUMapMode.WRITE);
    new Uint8Array(w.getMappedRange()).set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    w.unmap();
    const r = device.createBuffer({
      size: 16,
      usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ,
    });
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(w, 0, r, 0, 16);
    enc.clearBuffer(r, 12, 4);
    device.queue.submit([enc.finish()]);
    await r.mapAsync(GPUMapMode.READ);
    expect(Array.from(new Uint8Array(r.getMappedRange()))).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0, 0, 0, 0,
    ]);
    r.unmap();
  });

  it('mapAsync does not block the event loop while the GPU works', async () => {
    // A compute pass heavy enough on lavapipe to take a while, then a map that waits on it.
    const n = 1 << 20;
    const storage = device.createBuffer({
      size: n * 4,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
    });
    const read = device.createBuffer({
      size: n * 4,
      usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ,
    });
    const module = device.createShaderModule({
      code: `@group(0) @binding(0) var<storage, read_write> d: array<f32>;
        @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3u) {
          var x = f32(id.x);
          for (var i = 0u; i < 400u; i++) { x = sin(x) * 1.0001 + cos(x * 0.5); }
          d[id.x] = x;
        }`,
    });
    const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module } });
    const bg = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [{ binding: 0, resource: { buffer: storage } }],
    });
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bg);
    pass.dispatchWorkgroups(n / 64);
    pass.end();
    enc.copyBufferToBuffer(storage, 0, read, 0, n * 4);
    device.queue.submit([enc.finish()]);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const t0 = performance.now();
    await read.mapAsync(GPUMapMode.READ);
    const elapsed = performance.now() - t0;
    clearInterval(timer);
    read.unmap();
    // The loop kept turning while the map was pending (a blocking map would give 0 ticks).
    expect(elapsed).toBeGreaterThan(5);
    expect(ticks).toBeGreaterThan(0);
  });

  it('onSubmittedWorkDone resolves', async () => {
    const enc = device.createCommandEncoder();
    device.queue.submit([enc.finish()]);
    await expect(device.queue.onSubmittedWorkDone()).resolves.toBeUndefined();
  });
});

describe('compute', () => {
  it('a compute shader doubles an array (explicit layout, dynamic offset)', async () => {
    const count = 1000;
    const input = new Float32Array(count).map((_, i) => i * 0.5 - 100);
    const buf = device.createBuffer({
      size: 256 + count * 4,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
    });
    device.queue.writeBuffer(buf, 256, input);
    const bgl = device.createBindGroupLayout({
      entries: [
        {
          binding: 0,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: 'storage', hasDynamicOffset: true },
        },
      ],
    });
    const module = device.createShaderModule({
      code: `@group(0) @binding(0) var<storage, read_write> d: array<f32>;
        @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3u) {
          if (id.x < arrayLength(&d)) { d[id.x] = d[id.x] * 2.0; }
        }`,
    });
    const pipeline = await device.createComputePipelineAsync({
      layout: device.createPipelineLayout({ bindGroupLayouts: [bgl] }),
      compute: { module, entryPoint: 'main' },
    });
    const bg = device.createBindGroup({
      layout: bgl,
      entries: [{ binding: 0, resource: { buffer: buf, offset: 0, size: count * 4 } }],
    });
    const read = device.createBuffer({
      size: count * 4,
      usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ,
    });
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bg, [256]);
    pass.dispatchWorkgroups(Math.ceil(count / 64));
    pass.end();
    enc.copyBufferToBuffer(buf, 256, read, 0, count * 4);
    device.queue.submit([enc.finish()]);
    await read.mapAsync(GPUMapMode.READ);
    const out = new Float32Array(read.getMappedRange());
    expect(Array.from(out)).toEqual(Array.from(input).map((x) => x * 2));
    read.unmap();
  });
});

describe('render', () => {
  async function drawTriangle(useBundle: boolean, msaa: boolean): Promise<Uint8Array> {
    const W = 64;
    const H = 64;
    const color = target(W, H);
    const module = device.createShaderModule({ code: TRIANGLE_WGSL });
    const info = await module.getCompilationInfo();
    expect(info.messages.filter((m) => m.type === 'error')).toHaveLength(0);
    const sampleCount = msaa ? 4 : 1;
    const pipeline = device.createRenderPipeline({
      layout: 'auto',
      vertex: {
        module,
        entryPoint: 'vs',
        buffers: [
          { arrayStride: 8, attributes: [{ format: 'float32x2', offset: 0, shaderLocation: 0 }] },
        ],
      },
      fragment: { module, entryPoint: 'fs', targets: [{ format: 'rgba8unorm' }] },
      primitive: { topology: 'triangle-list', cullMode: 'none' },
      depthStencil: { format: 'depth24plus', depthWriteEnabled: true, depthCompare: 'less' },
      multisample: { count: sampleCount },
    });
    const vb = device.createBuffer({
      size: 24,
      usage: GPUBufferUsage.VERTEX,
      mappedAtCreation: true,
    });
    // A triangle covering the left-bottom half: (-1,-1), (1,-1), (-1,1).
    new Float32Array(vb.getMappedRange()).set([-1, -1, 1, -1, -1, 1]);
    vb.unmap();
    const ib = device.createBuffer({
      size: 8,
      usage: GPUBufferUsage.INDEX,
      mappedAtCreation: true,
    });
    new Uint16Array(ib.getMappedRange()).set([0, 1, 2, 0]);
    ib.unmap();
    const tint = device.createBuffer({
      size: 16,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(tint, 0, new Float32Array([1, 0.5, 0, 1]));
    const bg = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [{ binding: 0, resource: { buffer: tint } }],
    });
    const depth = device.createTexture({
      size: [W, H],
      format: 'depth24plus',
      sampleCount,
      usage: GPUTextureUsage.RENDER_ATTACHMENT,
    });
    const msaaTex = msaa
      ? device.createTexture({
          size: [W, H],
          format: 'rgba8unorm',
          sampleCount: 4,
          usage: GPUTextureUsage.RENDER_ATTACHMENT,
        })
      : null;
    const enc = device.createCommandEncoder();
    const pass = enc.beginRenderPass({
      colorAttachments: [
        {
          view: msaaTex ? msaaTex.createView() : color.createView(),
          resolveTarget: msaaTex ? color.createView() : undefined,
          clearValue: { r: 0, g: 0, b: 1, a: 1 },
          loadOp: 'clear',
          storeOp: 'store',
        },
      ],
      depthStencilAttachment: {
        view: depth.createView(),
        depthClearValue: 1,
        depthLoadOp: 'clear',
        depthStoreOp: 'store',
      },
    });
    pass.setViewport(0, 0, W, H, 0, 1);
    pass.setScissorRect(0, 0, W, H);
    if (useBundle) {
      const be = device.createRenderBundleEncoder({
        colorFormats: ['rgba8unorm'],
        depthStencilFormat: 'depth24plus',
        sampleCount,
      });
      be.setPipeline(pipeline);
      be.setBindGroup(0, bg);
      be.setVertexBuffer(0, vb);
      be.setIndexBuffer(ib, 'uint16');
      be.drawIndexed(3);
      pass.executeBundles([be.finish()]);
    } else {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bg);
      pass.setVertexBuffer(0, vb);
      pass.draw(3);
    }
    pass.end();
    device.queue.submit([enc.finish()]);
    return (await readTexture(device, color)).data;
  }

  for (const [name, bundle, msaa] of [
    ['direct draw', false, false],
    ['render bundle + drawIndexed', true, false],
    ['MSAA x4 with resolve', false, true],
  ] as const) {
    it(`clears and draws a triangle (${name}); pixels check`, async () => {
      device.pushErrorScope('validation');
      const data = await drawTriangle(bundle, msaa);
      expect(await device.popErrorScope()).toBeNull();
      // Bottom-left (inside the triangle): tint. Top-right (outside): clear colour.
      expect(pixel(data, 64, 8, 56)).toEqual([255, 128, 0, 255]);
      expect(pixel(data, 64, 56, 8)).toEqual([0, 0, 255, 255]);
    });
  }

  it('writeTexture + copyTextureToTexture + sampled draw of a 2D-array layer', async () => {
    const src = device.createTexture({
      size: [4, 4, 2],
      format: 'rgba8unorm',
      usage: GPUTextureUsage.COPY_DST | GPUTextureUsage.COPY_SRC | GPUTextureUsage.TEXTURE_BINDING,
    });
    const layer1 = new Uint8Array(4 * 4 * 4)
      .fill(0)
      .map((_, i) => (i % 4 === 1 || i % 4 === 3 ? 255 : 0));
    device.queue.writeTexture(
      { texture: src, origin: [0, 0, 1] },
      layer1,
      { bytesPerRow: 16, rowsPerImage: 4 },
      [4, 4, 1],
    );
    const dst = device.createTexture({
      size: [4, 4],
      format: 'rgba8unorm',
      usage: GPUTextureUsage.COPY_DST | GPUTextureUsage.COPY_SRC,
    });
    const enc = device.createCommandEncoder();
    enc.copyTextureToTexture(
      { texture: src, origin: { x: 0, y: 0, z: 1 } },
      { texture: dst },
      { width: 4, height: 4 },
    );
    device.queue.submit([enc.finish()]);
    const out = await readTexture(device, dst);
    expect(pixel(out.data, 4, 2, 2)).toEqual([0, 255, 0, 255]);
    const view = src.createView({ dimension: '2d-array', baseArrayLayer: 0, arrayLayerCount: 2 });
    expect(view).toBeDefined();
  });
});

describe('indirect, queries, stencil, cube views, device loss', () => {
  it('drawIndirect, drawIndexedIndirect and dispatchWorkgroupsIndirect use GPU-side arguments', async () => {
    const module = device.createShaderModule({
      code: `@vertex fn vs(@builtin(vertex_index) i: u32) -> @builtin(position) vec4f {
          let p = array(vec2f(-1.0, -1.0), vec2f(3.0, -1.0), vec2f(-1.0, 3.0));
          return vec4f(p[i], 0.0, 1.0);
        }
        @fragment fn fs() -> @location(0) vec4f { return vec4f(0.0, 1.0, 0.0, 1.0); }
        @group(0) @binding(0) var<storage, read_write> hits: atomic<u32>;
        @compute @workgroup_size(1) fn cs() { atomicAdd(&hits, 1u); }`,
    });
    const pipeline = device.createRenderPipeline({
      layout: 'auto',
      vertex: { module, entryPoint: 'vs' },
      fragment: { module, entryPoint: 'fs', targets: [{ format: 'rgba8unorm' }] },
    });
    const args = device.createBuffer({
      size: 64,
      usage: GPUBufferUsage.INDIRECT | GPUBufferUsage.COPY_DST,
    });
    // draw: 3 vertices, 1 instance; drawIndexed at 16: 3 indices, 1 instance; dispatch at 48: 5x1x1.
    device.queue.writeBuffer(
      args,
      0,
      new Uint32Array([3, 1, 0, 0, 3, 1, 0, 0, 0, 0, 0, 0, 5, 1, 1, 0]),
    );
    const ib = device.createBuffer({
      size: 8,
      usage: GPUBufferUsage.INDEX | GPUBufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(ib, 0, new Uint32Array([0, 1]));
    device.queue.writeBuffer(ib, 0, new Uint16Array([0, 1, 2, 0]));
    const occlusion = device.createQuerySet({ type: 'occlusion', count: 2 });
    const resolved = device.createBuffer({
      size: 16,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
    const counter = device.createBuffer({
      size: 4,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
    });
    const cp = device.createComputePipeline({
      layout: 'auto',
      compute: { module, entryPoint: 'cs' },
    });
    const read = device.createBuffer({
      size: 32,
      usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ,
    });
    const color = target(16, 16);
    device.pushErrorScope('validation');
    const enc = device.createCommandEncoder();
    const pass = enc.beginRenderPass({
      colorAttachments: [
        { view: color.createView(), clearValue: [0, 0, 0, 1], loadOp: 'clear', storeOp: 'store' },
      ],
      occlusionQuerySet: occlusion,
    });
    pass.setPipeline(pipeline);
    pass.beginOcclusionQuery(0);
    pass.drawIndirect(args, 0);
    pass.endOcclusionQuery();
    pass.beginOcclusionQuery(1);
    pass.setIndexBuffer(ib, 'uint16');
    pass.drawIndexedIndirect(args, 16);
    pass.endOcclusionQuery();
    pass.end();
    const cpass = enc.beginComputePass();
    cpass.setPipeline(cp);
    cpass.setBindGroup(
      0,
      device.createBindGroup({
        layout: cp.getBindGroupLayout(0),
        entries: [{ binding: 0, resource: { buffer: counter } }],
      }),
    );
    cpass.dispatchWorkgroupsIndirect(args, 48);
    cpass.end();
    enc.resolveQuerySet(occlusion, 0, 2, resolved, 0);
    enc.copyBufferToBuffer(resolved, 0, read, 0, 16);
    enc.copyBufferToBuffer(counter, 0, read, 16, 4);
    device.queue.submit([enc.finish()]);
    expect(await device.popErrorScope()).toBeNull();
    await read.mapAsync(GPUMapMode.READ);
    const words = new Uint32Array(read.getMappedRange());
    const samples0 = words[0]! + words[1]! * 2 ** 32;
    const samples1 = words[2]! + words[3]! * 2 ** 32;
    expect(samples0).toBeGreaterThan(0);
    expect(samples1).toBeGreaterThan(0);
    expect(words[4]).toBe(5);
    read.unmap();
    const { data } = await readTexture(device, color);
    expect(pixel(data, 16, 8, 8)).toEqual([0, 255, 0, 255]);
  });

  it('stencil: setStencilReference + stencil test mask the second draw; setBlendConstant blends', async () => {
    const module = device.createShaderModule({
      code: `@vertex fn vs(@builtin(vertex_index) i: u32, @builtin(instance_index) k: u32) -> @builtin(position) vec4f {
          // instance 0: left half quad; instance 1: full screen.
          let x0 = select(-1.0, -1.0, k == 0u);
          let x1 = select(1.0, 0.0, k == 0u);
          let p = array(vec2f(x0, -1.0), vec2f(x1, -1.0), vec2f(x0, 1.0), vec2f(x1, 1.0));
          return vec4f(p[i], 0.0, 1.0);
        }
        @fragment fn fs() -> @location(0) vec4f { return vec4f(1.0, 1.0, 1.0, 1.0); }`,
    });
    const ds = 'depth24plus-stencil8' as const;
    const mark = device.createRenderPipeline({
      layout: 'auto',
      vertex: { module, entryPoint: 'vs' },
      fragment: { module, entryPoint: 'fs', targets: [{ format: 'rgba8unorm', writeMask: 0 }] },
      primitive: { topology: 'triangle-strip' },
      depthStencil: {
        format: ds,
        depthWriteEnabled: false,
        depthCompare: 'always',
        stencilFront: { compare: 'always', passOp: 'replace' },
        stencilBack: { compare: 'always', passOp: 'replace' },
      },
    });
    const paint = device.createRenderPipeline({
      layout: 'auto',
      vertex: { module, entryPoint: 'vs' },
      fragment: {
        module,
        entryPoint: 'fs',
        targets: [
          {
            format: 'rgba8unorm',
            blend: {
              color: { srcFactor: 'constant', dstFactor: 'zero', operation: 'add' },
              alpha: { srcFactor: 'one', dstFactor: 'zero', operation: 'add' },
            },
          },
        ],
      },
      primitive: { topology: 'triangle-strip' },
      depthStencil: {
        format: ds,
        depthWriteEnabled: false,
        depthCompare: 'always',
        stencilFront: { compare: 'equal' },
        stencilBack: { compare: 'equal' },
      },
    });
    const color = target(32, 32);
    const depth = device.createTexture({
      size: [32, 32],
      format: ds,
      usage: GPUTextureUsage.RENDER_ATTACHMENT,
    });
    device.pushErrorScope('validation');
    const enc = device.createCommandEncoder();
    const pass = enc.beginRenderPass({
      colorAttachments: [
        { view: color, clearValue: [0, 0, 0, 1], loadOp: 'clear', storeOp: 'store' },
      ],
      depthStencilAttachment: {
        view: depth.createView(),
        depthClearValue: 1,
        depthLoadOp: 'clear',
        depthStoreOp: 'discard',
        stencilClearValue: 0,
        stencilLoadOp: 'clear',
        stencilStoreOp: 'store',
      },
    });
    pass.setStencilReference(7);
    pass.setPipeline(mark);
    pass.draw(4, 1, 0, 0); // marks the left half with 7
    pass.setPipeline(paint);
    pass.setBlendConstant({ r: 1, g: 0.5, b: 0, a: 1 });
    pass.draw(4, 1, 0, 1); // full screen, but only where stencil == 7
    pass.end();
    device.queue.submit([enc.finish()]);
    expect(await device.popErrorScope()).toBeNull();
    const { data } = await readTexture(device, color);
    expect(pixel(data, 32, 4, 16)).toEqual([255, 128, 0, 255]);
    expect(pixel(data, 32, 28, 16).slice(0, 3)).toEqual([0, 0, 0]);
  });

  it('cube textures: six layers written, sampled through a cube view', async () => {
    const cube = device.createTexture({
      size: [1, 1, 6],
      format: 'rgba8unorm',
      usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST,
    });
    for (let face = 0; face < 6; face++) {
      device.queue.writeTexture(
        { texture: cube, origin: [0, 0, face] },
        new Uint8Array([face * 40, 0, 0, 255]),
        { bytesPerRow: 4 },
        [1, 1, 1],
      );
    }
    const module = device.createShaderModule({
      code: `@group(0) @binding(0) var t: texture_cube<f32>;
        @group(0) @binding(1) var s: sampler;
        @group(0) @binding(2) var<storage, read_write> out: array<f32, 2>;
        @compute @workgroup_size(1) fn main() {
          out[0] = textureSampleLevel(t, s, vec3f(1.0, 0.0, 0.0), 0.0).r;  // +X = face 0
          out[1] = textureSampleLevel(t, s, vec3f(0.0, 0.0, -1.0), 0.0).r; // -Z = face 5
        }`,
    });
    const bytes = await computeReadback(
      device,
      module,
      [cube.createView({ dimension: 'cube' }), device.createSampler({ magFilter: 'nearest' })],
      8,
    );
    const v = Array.from(new Float32Array(bytes)).map((x) => Math.round(x * 255));
    expect(v).toEqual([0, 200]);
  });

  it('timestampWrites on a compute pass give ordered GPU timestamps', async () => {
    expect(device.features.has('timestamp-query')).toBe(true); // lavapipe and NVIDIA have it
    const qs = device.createQuerySet({ type: 'timestamp', count: 2 });
    const resolve = device.createBuffer({
      size: 16,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
    const read = device.createBuffer({
      size: 16,
      usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ,
    });
    const module = device.createShaderModule({
      code: `@group(0) @binding(0) var<storage, read_write> d: array<f32>;
        @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3u) {
          var x = f32(id.x); for (var i = 0u; i < 200u; i++) { x = sin(x) + 1.0; } d[id.x] = x; }`,
    });
    const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module } });
    const buf = device.createBuffer({ size: 65536 * 4, usage: GPUBufferUsage.STORAGE });
    const bg = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [{ binding: 0, resource: { buffer: buf } }],
    });
    device.pushErrorScope('validation');
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass({
      timestampWrites: { querySet: qs, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 },
    });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bg);
    pass.dispatchWorkgroups(1024);
    pass.end();
    enc.resolveQuerySet(qs, 0, 2, resolve, 0);
    enc.copyBufferToBuffer(resolve, 0, read, 0, 16);
    device.queue.submit([enc.finish()]);
    expect(await device.popErrorScope()).toBeNull();
    await read.mapAsync(GPUMapMode.READ);
    const [begin, end] = new BigUint64Array(read.getMappedRange());
    read.unmap();
    expect(begin! > 0n).toBe(true);
    expect(end! > begin!).toBe(true);
  });

  it('device.destroy() resolves device.lost with reason "destroyed"', async () => {
    const adapter = await navigator.gpu.requestAdapter();
    const d = await adapter!.requestDevice();
    d.destroy();
    const info = await d.lost;
    expect(info.reason).toBe('destroyed');
  });
});

describe('errors', () => {
  it('push/popErrorScope captures a validation error with wgpu’s message', async () => {
    device.pushErrorScope('validation');
    device.createBuffer({ size: 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.MAP_WRITE });
    const err = await device.popErrorScope();
    expect(err).toBeInstanceOf(
      (globalThis as unknown as { GPUValidationError: typeof Error }).GPUValidationError,
    );
    expect(err!.message.length).toBeGreaterThan(10);
    expect(err!.message.toLowerCase()).toMatch(/usage|map/);
  });

  it('popErrorScope resolves null on success and rejects when the stack is empty', async () => {
    device.pushErrorScope('out-of-memory');
    device.createBuffer({ size: 16, usage: GPUBufferUsage.COPY_DST });
    expect(await device.popErrorScope()).toBeNull();
    await expect(device.popErrorScope()).rejects.toThrow(/empty/);
  });

  it('a bad WGSL module reports errors in getCompilationInfo and via the scope', async () => {
    device.pushErrorScope('validation');
    const m = device.createShaderModule({ code: 'fn broken( {' });
    const err = await device.popErrorScope();
    expect(err).not.toBeNull();
    const info = await m.getCompilationInfo();
    expect(info.messages.some((x) => x.type === 'error')).toBe(true);
  });

  it('createRenderPipelineAsync rejects with GPUPipelineError on a bad pipeline', async () => {
    const module = device.createShaderModule({ code: TRIANGLE_WGSL });
    const p = device.createRenderPipelineAsync({
      layout: 'auto',
      vertex: { module, entryPoint: 'does_not_exist' },
    });
    await expect(p).rejects.toMatchObject({ name: 'GPUPipelineError', reason: 'validation' });
  });

  it('uncaptured errors fire uncapturederror (handler and listener)', async () => {
    const seen: string[] = [];
    const listener = (ev: Event): void => {
      seen.push('listener:' + (ev as GPUUncapturedErrorEvent).error.message);
    };
    device.addEventListener('uncapturederror', listener);
    device.onuncapturederror = (ev) => seen.push('handler:' + ev.error.constructor.name);
    device.createTexture({
      size: [0, 0],
      format: 'rgba8unorm',
      usage: GPUTextureUsage.TEXTURE_BINDING,
    });
    device.queue.submit([]);
    device.removeEventListener('uncapturederror', listener);
    device.onuncapturederror = null;
    expect(seen.some((s) => s.startsWith('listener:') && s.length > 12)).toBe(true);
    expect(seen).toContain('handler:GPUValidationError');
  });
});
