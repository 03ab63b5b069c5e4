/**
 * Lifetime of GPU objects: memory comes back on `destroy()`, and objects JS drops without
 * destroying are released by the FinalizationRegistry when garbage-collected — proved with wgpu's
 * own allocator report (`device.zerocastMemoryReport()`, non-standard) and the addon's handle count.
 * Real adapter, no mocks.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installWebGPU } from './index.ts';
import type { ZerocastMemoryReport } from './gpu.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const MiB = 1024 * 1024;
let device: GPUDevice;
const report = (): ZerocastMemoryReport =>
  (device as unknown as { zerocastMemoryReport(): ZerocastMemoryReport }).zerocastMemoryReport();

/** Lets the poller thread free what the GPU no longer uses, and finalizers run. */
async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
    await device.queue.onSubmittedWorkDone();
  }
}

beforeAll(async () => {
  const gpu = await installWebGPU({ log: () => {} });
  device = await (await gpu.requestAdapter())!.requestDevice();
});
afterAll(() => device?.destroy());

describe('GPU object lifetime', () => {
  it('zerocastMemoryReport reports wgpu allocator figures', () => {
    const r = report();
    expect(r.available).toBe(true);
    expect(r.reservedBytes).toBeGreaterThanOrEqual(r.allocatedBytes);
    expect(r.liveHandles).toBeGreaterThan(0);
  });

  it('destroy() gives buffer and texture memory back', async () => {
    await settle(2);
    const before = report();
    const buffers = Array.from({ length: 16 }, () =>
      device.createBuffer({
        size: 4 * MiB,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
      }),
    );
    const textures = Array.from({ length: 8 }, () =>
      device.createTexture({
        size: [512, 512],
        format: 'rgba8unorm',
        usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST,
      }),
    );
    const during = report();
    expect(during.allocatedBytes - before.allocatedBytes).toBeGreaterThanOrEqual(
      64 * MiB + 8 * MiB,
    );
    for (const b of buffers) b.destroy();
    for (const t of textures) t.destroy();
    await settle(3);
    const after = report();
    console.log(
      `destroy(): allocated ${(before.allocatedBytes / MiB).toFixed(1)} → ${(during.allocatedBytes / MiB).toFixed(1)} → ${(after.allocatedBytes / MiB).toFixed(1)} MiB`,
    );
    expect(after.allocatedBytes).toBeLessThanOrEqual(before.allocatedBytes + MiB);
  });

  it('objects dropped without destroy() are freed when garbage-collected (FinalizationRegistry)', async () => {
    await settle(3);
    const before = report();
    (() => {
      for (let i = 0; i < 16; i++) {
        device.createBuffer({ size: 4 * MiB, usage: GPUBufferUsage.STORAGE });
        device.createTexture({
          size: [256, 256],
          format: 'rgba8unorm',
          usage: GPUTextureUsage.TEXTURE_BINDING,
        });
        device.createSampler();
      }
    })();
    const during = report();
    expect(during.allocatedBytes - before.allocatedBytes).toBeGreaterThanOrEqual(64 * MiB);
    expect(during.liveHandles - before.liveHandles).toBeGreaterThanOrEqual(48);
    await settle(20);
    const after = report();
    console.log(
      `GC: allocated ${(before.allocatedBytes / MiB).toFixed(1)} → ${(during.allocatedBytes / MiB).toFixed(1)} → ${(after.allocatedBytes / MiB).toFixed(1)} MiB; handles ${before.liveHandles} → ${during.liveHandles} → ${after.liveHandles}`,
    );
    expect(after.allocatedBytes).toBeLessThanOrEqual(before.allocatedBytes + MiB);
    expect(after.liveHandles).toBeLessThanOrEqual(before.liveHandles + 2);
  });
});
