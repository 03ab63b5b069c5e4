/**
 * The conformance suite on another machine (the GPU machine): renders every scene on native/gpu and
 * compares with the Chromium references rendered here (PNG files carried over), same thresholds.
 * Usage: node device-conformance.mjs <reference-dir> <artifact-dir>; exit code 1 when a scene fails.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildTestModel } from '../support/conformance-glb.ts';
import { decodePng, type RgbaImage } from '../support/conformance-metrics.ts';
import { runNodeConformance } from '../support/conformance-run.ts';

const [refDir = '.cache/conformance/reference', artifacts = 'e2e/artifacts/conformance'] =
  process.argv.slice(2);
const references = new Map<string, RgbaImage>();
for (const f of readdirSync(refDir)) {
  if (f.endsWith('.png')) references.set(f.slice(0, -4), decodePng(readFileSync(join(refDir, f))));
}
const report = await runNodeConformance(references, buildTestModel(), artifacts);
if (report.errors.length) console.log('validation errors:\n' + report.errors.join('\n'));
await gpuFacts();
process.exit(report.scores.every((s) => s.pass) && report.errors.length === 0 ? 0 : 1);

/** Timestamp-query support and a measured dispatch; wgpu's allocator report. */
async function gpuFacts(): Promise<void> {
  const { GpuStageTimer } = await import('../../main/webgpu/timestamps.ts');
  const adapter = (await navigator.gpu.requestAdapter())!;
  const device = await adapter.requestDevice({
    requiredFeatures: [...adapter.features] as GPUFeatureName[],
  });
  const timer = GpuStageTimer.create(device, 2, 1);
  console.log(`timestamp-query: ${timer ? 'yes' : 'no (CPU stage times only)'}`);
  if (timer) {
    const module = device.createShaderModule({
      code: `@group(0) @binding(0) var<storage, read_write> d: array<f32>;
        @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3u) {
          var x = f32(id.x); for (var i = 0u; i < 1000u; i++) { x = sin(x) + 1.0; } d[id.x] = x; }`,
    });
    const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module } });
    const buf = device.createBuffer({ size: 1 << 22, usage: GPUBufferUsage.STORAGE });
    const bg = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [{ binding: 0, resource: { buffer: buf } }],
    });
    const marks = timer.begin()!;
    marks.mark(0);
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bg);
    pass.dispatchWorkgroups(4096);
    pass.end();
    device.queue.submit([enc.finish()]);
    marks.mark(1);
    const [ms] = (await marks.read()) ?? [NaN];
    console.log(`GPU-timed dispatch (262144 invocations x 1000 sin): ${ms!.toFixed(3)} ms`);
  }
  const mem = (device as unknown as { zerocastMemoryReport(): object }).zerocastMemoryReport();
  console.log(`zerocastMemoryReport: ${JSON.stringify(mem)}`);
  device.destroy();
}
