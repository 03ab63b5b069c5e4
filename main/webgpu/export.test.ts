/**
 * The export extension on the real adapter: a buffer on exported memory is an ordinary GPUBuffer,
 * its fd names that memory (importing it shows the same bytes), and timeline semaphores are
 * signalled by queue submits. Semaphore export is checked where the driver has it (not lavapipe).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { fstatSync } from 'node:fs';
import {
  createExportedBuffer,
  createTimeline,
  exportCapabilities,
  importExportedBuffer,
} from './index.ts';
import { openTestDevice } from './test-support.ts';

let device: GPUDevice;

beforeAll(async () => {
  device = await openTestDevice({ zerocastExportable: true });
});

describe.runIf(process.platform === 'linux')('export extension (Vulkan)', () => {
  it('reports capabilities and the device UUID', () => {
    const caps = exportCapabilities(device);
    expect(caps.memoryFd).toBe(true); // lavapipe and NVIDIA both have VK_KHR_external_memory_fd
    expect(caps.deviceUuid).toMatch(/^[0-9a-f]{32}$/);
  });

  it('an exported buffer is usable by wgpu and its fd names the same memory', async () => {
    const size = 4096;
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const exp = createExportedBuffer(device, { size, usage, label: 'nv12-export' });
    expect(exp.memoryFd).toBeGreaterThan(2);
    expect(fstatSync(exp.memoryFd)).toBeDefined();
    expect(exp.allocationSize).toBeGreaterThanOrEqual(size);
    const data = new Uint32Array(size / 4).map((_, i) => (i * 2654435761) >>> 0);
    device.pushErrorScope('validation');
    device.queue.writeBuffer(exp.buffer, 0, data);
    // Import the fd as a second buffer: what wgpu wrote through the first must be visible.
    const imported = importExportedBuffer(device, exp.memoryFd, { size, usage });
    const read = device.createBuffer({
      size,
      usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ,
    });
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(imported, 0, read, 0, size);
    device.queue.submit([enc.finish()]);
    expect(await device.popErrorScope()).toBeNull();
    await read.mapAsync(GPUMapMode.READ);
    expect(Array.from(new Uint32Array(read.getMappedRange()))).toEqual(Array.from(data));
    read.unmap();
  });

  it('a timeline semaphore is signalled to the value staged for the next submit', async () => {
    const t = createTimeline(device);
    expect(t.value()).toBe(0);
    t.signalOnNextSubmit(5);
    device.queue.submit([device.createCommandEncoder().finish()]);
    await device.queue.onSubmittedWorkDone();
    expect(t.value()).toBe(5);
    t.signalOnNextSubmit(6);
    device.queue.submit([device.createCommandEncoder().finish()]);
    await device.queue.onSubmittedWorkDone();
    expect(t.value()).toBe(6);
    t.destroy();
  });

  it('semaphore export works where the driver has VK_KHR_external_semaphore_fd, else says so', () => {
    const caps = exportCapabilities(device);
    if (caps.semaphoreFd) {
      const t = createTimeline(device, { export: true });
      expect(t.fd).not.toBeNull();
      expect(fstatSync(t.fd!)).toBeDefined();
      t.destroy();
    } else {
      expect(() => createTimeline(device, { export: true })).toThrow(
        /VK_KHR_external_semaphore_fd/,
      );
    }
  });
});
