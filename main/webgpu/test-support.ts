/**
 * Test support for the WebGPU tests (not product code): a device on the real adapter and a
 * one-shot compute readback.
 */
import { installWebGPU } from './index.ts';

/**
 * Installs Zerocast's WebGPU (quietly) and opens a device on the real adapter with every feature
 * it has; `extra` adds fields to the device descriptor (e.g. `zerocastExportable`).
 * @throws Error when there is no adapter.
 */
export async function openTestDevice(extra: object = {}): Promise<GPUDevice> {
  const gpu = await installWebGPU({ log: () => {} });
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('no adapter');
  return adapter.requestDevice({
    requiredFeatures: [...adapter.features] as GPUFeatureName[],
    ...extra,
  } as GPUDeviceDescriptor);
}

/**
 * Runs compute shader `module` (entry point `main`, one workgroup) with `resources` at bindings
 * 0..n-1 of group 0 and a `size`-byte storage buffer at binding n, and reads that buffer back.
 * @returns a copy of the storage buffer's bytes after the dispatch.
 */
export async function computeReadback(
  device: GPUDevice,
  module: GPUShaderModule,
  resources: readonly GPUBindingResource[],
  size: number,
): Promise<ArrayBuffer> {
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module } });
  const out = device.createBuffer({
    size,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
  });
  const read = device.createBuffer({
    size,
    usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ,
  });
  const bg = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [...resources, { buffer: out }].map((resource, binding) => ({ binding, resource })),
  });
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bg);
  pass.dispatchWorkgroups(1);
  pass.end();
  enc.copyBufferToBuffer(out, 0, read, 0, size);
  device.queue.submit([enc.finish()]);
  await read.mapAsync(GPUMapMode.READ);
  const bytes = read.getMappedRange().slice(0);
  read.unmap();
  return bytes;
}
