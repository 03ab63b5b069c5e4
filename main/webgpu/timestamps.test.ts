/**
 * GPU stage times: timestamp-query markers bracket GPU work and measure it, and the engine's frame
 * timing records carry `gpuStages` (render, convert) next to the CPU `stages` where the adapter has
 * `timestamp-query` (lavapipe and NVIDIA both do). Real adapter, real encoder.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, Engine } from '../engine/engine.ts';
import { createLogger } from '../engine/log.ts';
import { installWebGPU } from './index.ts';
import { GpuStageTimer } from './timestamps.ts';

const log = createLogger('timestamps-test');
log.level = 'error';

describe('GPU timestamps', () => {
  let engine: Engine | undefined;
  afterAll(async () => {
    await engine?.stop();
  });

  it('markers around a heavy compute dispatch measure it; the empty stage is shorter', async () => {
    const gpu = await installWebGPU({ log: () => {} });
    const adapter = (await gpu.requestAdapter())!;
    const device = await adapter.requestDevice({
      requiredFeatures: [...adapter.features] as GPUFeatureName[],
    });
    const timer = GpuStageTimer.create(device, 3, 2);
    expect(timer, 'this adapter lists timestamp-query').not.toBeNull();
    const module = device.createShaderModule({
      code: `@group(0) @binding(0) var<storage, read_write> d: array<f32>;
        @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3u) {
          var x = f32(id.x); for (var i = 0u; i < 2000u; i++) { x = sin(x) + 1.0; } d[id.x] = x; }`,
    });
    const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module } });
    const buf = device.createBuffer({ size: 65536 * 4, usage: GPUBufferUsage.STORAGE });
    const bg = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [{ binding: 0, resource: { buffer: buf } }],
    });
    const marks = timer!.begin()!;
    marks.mark(0);
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bg);
    pass.dispatchWorkgroups(1024);
    pass.end();
    device.queue.submit([enc.finish()]);
    marks.mark(1);
    marks.mark(2);
    const [heavy, empty] = (await marks.read())!;
    expect(heavy!).toBeGreaterThan(0.05);
    expect(empty!).toBeLessThan(heavy!);
    timer!.destroy();
    device.destroy();
  });

  it('frame timing records carry gpuStages.render and gpuStages.convert', async () => {
    engine = await Engine.create(
      {
        ...DEFAULT_SETTINGS,
        scene: 'showroom',
        width: 320,
        height: 180,
        fps: 30,
        bitrate: 1_000_000,
      },
      log,
    );
    for (let i = 0; i < 5; i++) await engine.renderOnce(i * 33);
    const records = engine.timing.recent(5);
    expect(records).toHaveLength(5);
    for (const r of records) {
      expect(r.stages.render).toBeGreaterThan(0);
      expect(r.gpuStages?.render).toBeGreaterThan(0);
      expect(r.gpuStages?.convert).toBeGreaterThan(0);
    }
    console.log(
      'last frame: CPU',
      JSON.stringify(records[4]!.stages),
      'GPU',
      JSON.stringify(records[4]!.gpuStages),
    );
  });
});
