import { describe, expect, it } from 'vitest';
import { rgbToYcbcr } from '../convert/bt709.ts';
import { makeTestFrame, nv12ToI420, psnrFromMse, sumSquaredError } from './testframes.ts';

describe('test frames', () => {
  it('is deterministic and moves from frame to frame', () => {
    const a = makeTestFrame({ width: 320, height: 180, index: 7, noise: 8 });
    const b = makeTestFrame({ width: 320, height: 180, index: 7, noise: 8 });
    const c = makeTestFrame({ width: 320, height: 180, index: 8, noise: 8 });
    expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
    expect(Buffer.from(a.data).equals(Buffer.from(c.data))).toBe(false);
    expect(a).toMatchObject({ id: 7, width: 320, height: 180, pitch: 512, ptsMs: 233 });
    expect(a.data.length).toBe(512 * 180 * 1.5);
  });

  it('lays out pitched NV12 with BT.709 limited-range colour bars', () => {
    const f = makeTestFrame({ width: 640, height: 360, index: 0 });
    const [yellowY, yellowCb, yellowCr] = rgbToYcbcr(191, 191, 0);
    const x = 80 + 40; // middle of the second bar
    expect(f.data[10 * f.pitch + x]).toBe(yellowY);
    const uv = f.pitch * f.height + 5 * f.pitch + (x & ~1);
    expect([f.data[uv], f.data[uv + 1]]).toEqual([yellowCb, yellowCr]);
    expect(f.data[10 * f.pitch + 700]).toBe(0); // padding beyond width stays untouched
    expect(rgbToYcbcr(255, 255, 255)).toEqual([235, 128, 128]);
    expect(rgbToYcbcr(0, 0, 0)).toEqual([16, 128, 128]);
  });

  it('converts to I420 and measures PSNR', () => {
    const f = makeTestFrame({ width: 64, height: 32, index: 3 });
    const i420 = nv12ToI420(f);
    expect(i420.length).toBe(64 * 32 * 1.5);
    expect(i420[64 * 32]).toBe(f.data[f.pitch * 32]); // first Cb
    expect(i420[64 * 32 + 32 * 16]).toBe(f.data[f.pitch * 32 + 1]); // first Cr
    expect(psnrFromMse(sumSquaredError(i420, i420) / i420.length)).toBe(Infinity);
    expect(psnrFromMse(1)).toBeCloseTo(48.13, 2);
    expect(() => makeTestFrame({ width: 63, height: 32, index: 0 })).toThrow(RangeError);
    expect(() => makeTestFrame({ width: 64, height: 32, index: 0, pitch: 32 })).toThrow(/pitch/);
  });
});
