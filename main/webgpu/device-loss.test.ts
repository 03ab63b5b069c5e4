/**
 * Device loss as the WebGPU spec has it, and Zerocast surviving it: `device.lost` resolves with a
 * reason and message; the engine, when its device is lost mid-stream (forced here with
 * `device.destroy()` from outside the engine), opens a new device, rebuilds renderer, converter and
 * scene, keeps its encoder and listeners, and access units keep flowing (an IDR first).
 * Real adapter (lavapipe on CPU machines), real encoder; no mocks.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, Engine } from '../engine/engine.ts';
import { createLogger } from '../engine/log.ts';
import type { AccessUnit, Nv12Frame } from '../engine/contracts.ts';
import { installWebGPU } from './index.ts';

const log = createLogger('device-loss-test');
log.level = 'error';

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('device loss', () => {
  it('device.lost resolves with reason "destroyed" and a message after destroy()', async () => {
    const gpu = await installWebGPU({ log: () => {} });
    const device = await (await gpu.requestAdapter())!.requestDevice();
    let settled = false;
    void device.lost.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(settled, 'lost stays pending while the device lives').toBe(false);
    device.destroy();
    const info = await device.lost;
    expect(info.reason).toBe('destroyed');
    expect(info.message.length).toBeGreaterThan(0);
    expect(info).toBeInstanceOf(GPUDeviceLostInfo);
  });

  let engine: Engine | undefined;
  afterAll(async () => {
    await engine?.stop();
  });

  it('the engine recreates a lost device and goes on streaming', async () => {
    engine = await Engine.create(
      {
        ...DEFAULT_SETTINGS,
        scene: 'test-pattern',
        width: 320,
        height: 180,
        fps: 30,
        bitrate: 1_000_000,
      },
      log,
    );
    const aus: AccessUnit[] = [];
    let lastFrame: Nv12Frame | undefined;
    engine.subscribe({
      onAccessUnit: (au) => {
        aus.push(au);
      },
      onFrame: (f) => (lastFrame = { ...f, data: f.data.slice() }),
    });
    engine.start();
    await until(() => aus.length >= 10, 30_000, '10 access units before the loss');
    const before = engine.gpuDevice;
    before.destroy(); // the loss: not through engine.stop()
    const lost = await before.lost;
    expect(lost.reason).toBe('destroyed');
    await until(() => engine!.deviceRecoveries === 1, 30_000, 'the device to be recreated');
    const after = engine.gpuDevice;
    expect(after).not.toBe(before);
    const mark = aus.length;
    await until(() => aus.length >= mark + 15, 30_000, '15 access units after the recovery');
    const resumed = aus.slice(mark);
    expect(
      resumed.some((au) => au.keyframe),
      'an IDR after the recovery',
    ).toBe(true);
    expect(resumed.every((au) => au.width === 320 && au.height === 180)).toBe(true);
    // The frames after the recovery are the scene again, not a blank texture.
    const f = lastFrame!;
    let min = 255;
    let max = 0;
    for (let y = 0; y < f.height; y += 4) {
      for (let x = 0; x < f.width; x += 4) {
        const v = f.data[y * f.pitch + x]!;
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
    }
    expect(max - min, 'luma spread of the recovered frame').toBeGreaterThan(100);
    expect(engine.status().live).toBe(true);
  });
});
