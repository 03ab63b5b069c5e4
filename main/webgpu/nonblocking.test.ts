/**
 * What does and does not block the JS event loop (measured, not assumed):
 * - createRenderPipelineAsync / createComputePipelineAsync build the pipeline (naga → SPIR-V, the
 *   Vulkan driver's compile) on the libuv thread pool: timers keep firing meanwhile.
 * - createShaderModule is synchronous in wgpu (WGSL parse + validation on the calling thread); its
 *   cost is measured and printed here. The expensive part (SPIR-V generation, driver compile)
 *   happens at pipeline creation, which the async variants keep off the event loop.
 * (mapAsync not blocking is covered in webgpu.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installWebGPU } from './index.ts';

let device: GPUDevice;

beforeAll(async () => {
  const gpu = await installWebGPU({ log: () => {} });
  device = await (await gpu.requestAdapter())!.requestDevice();
});
afterAll(() => device?.destroy());

/** A compute shader whose compile takes a while: `n` dependent, unrolled statements. */
function heavyCompute(n: number, salt: number): string {
  const body = Array.from(
    { length: n },
    (_, i) => `  x = sin(x * ${(1 + (i % 7) * 0.37 + salt).toFixed(3)}) + cos(x + ${i}.0);`,
  ).join('\n');
  return `@group(0) @binding(0) var<storage, read_write> d: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3u) {
  var x = f32(id.x);
${body}
  d[id.x] = x;
}`;
}

function heavyRender(n: number, salt: number): string {
  const body = Array.from(
    { length: n },
    (_, i) =>
      `  c = fract(sin(c * ${(1.1 + (i % 5) * 0.21 + salt).toFixed(3)}) * 43758.5 + vec4f(${i}.0));`,
  ).join('\n');
  return `@vertex fn vs(@builtin(vertex_index) i: u32) -> @builtin(position) vec4f {
  return vec4f(f32(i & 1u), f32(i >> 1u), 0.0, 1.0);
}
@fragment fn fs(@builtin(position) p: vec4f) -> @location(0) vec4f {
  var c = p;
${body}
  return c;
}`;
}

/** Runs `work` while a 1 ms interval ticks; returns its duration and the longest gap between ticks. */
async function watchLoop<T>(
  work: () => Promise<T>,
): Promise<{ ms: number; maxGap: number; ticks: number }> {
  let last = performance.now();
  let maxGap = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
    ticks++;
  }, 1);
  const t0 = performance.now();
  await work();
  const ms = performance.now() - t0;
  clearInterval(timer);
  maxGap = Math.max(maxGap, performance.now() - last);
  return { ms, maxGap, ticks };
}

describe('non-blocking pipeline creation; synchronous shader modules, measured', () => {
  it('createComputePipelineAsync compiles off the event loop', async () => {
    const module = device.createShaderModule({ code: heavyCompute(3000, 0.5) });
    const r = await watchLoop(() =>
      device.createComputePipelineAsync({ layout: 'auto', compute: { module } }),
    );
    console.log(
      `createComputePipelineAsync: ${r.ms.toFixed(1)} ms; event loop ticked ${r.ticks}x, longest gap ${r.maxGap.toFixed(1)} ms`,
    );
    expect(r.ms).toBeGreaterThan(20); // heavy enough that blocking would show
    expect(r.maxGap).toBeLessThan(r.ms / 2);
    expect(r.ticks).toBeGreaterThan(3);
  });

  it('createRenderPipelineAsync compiles off the event loop', async () => {
    const module = device.createShaderModule({ code: heavyRender(1500, 0.25) });
    const r = await watchLoop(() =>
      device.createRenderPipelineAsync({
        layout: 'auto',
        vertex: { module, entryPoint: 'vs' },
        fragment: { module, entryPoint: 'fs', targets: [{ format: 'rgba8unorm' }] },
      }),
    );
    console.log(
      `createRenderPipelineAsync: ${r.ms.toFixed(1)} ms; event loop ticked ${r.ticks}x, longest gap ${r.maxGap.toFixed(1)} ms`,
    );
    expect(r.ms).toBeGreaterThan(20);
    expect(r.maxGap).toBeLessThan(r.ms / 2);
  });

  it('createShaderModule is synchronous in wgpu: its cost, for a large and a typical module', () => {
    const large = heavyCompute(1500, 0.75);
    let t0 = performance.now();
    device.createShaderModule({ code: large });
    const largeMs = performance.now() - t0;
    const typical = heavyCompute(60, 0.9);
    t0 = performance.now();
    device.createShaderModule({ code: typical });
    const typicalMs = performance.now() - t0;
    console.log(
      `createShaderModule (synchronous: WGSL parse + validate on the JS thread): ${large.length} chars ${largeMs.toFixed(1)} ms; ${typical.length} chars ${typicalMs.toFixed(2)} ms`,
    );
    expect(typicalMs).toBeLessThan(largeMs);
  });
});
