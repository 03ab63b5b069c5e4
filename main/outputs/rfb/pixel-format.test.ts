import { describe, expect, it } from 'vitest';
import { barSamples, renderPattern } from '../../../e2e/support/rfb-source.ts';
import { nv12Pitch, rgbToYcbcr } from '../../convert/bt709.ts';
import { TEST_BARS_RGB } from '../../encode/testframes.ts';
import {
  DEFAULT_PIXEL_FORMAT,
  cpixelLayout,
  decodePixelFormat,
  encodePixelFormat,
  nv12ToRgb,
  pixelValueToRgb,
  rgbToPixelValues,
  validatePixelFormat,
  writePixels,
  type PixelFormat,
} from './pixel-format.ts';
import { BGR233, pixelFormat as pf, RGB565_BE, RGB565_LE } from './test-support.ts';

const FORMATS: Record<string, PixelFormat> = {
  'xrgb32 le': DEFAULT_PIXEL_FORMAT,
  'xbgr32 le (noVNC)': pf({ redShift: 0, greenShift: 8, blueShift: 16 }),
  'xrgb32 be': pf({ bigEndian: true }),
  'rgbx32 be': pf({ bigEndian: true, redShift: 24, greenShift: 16, blueShift: 8 }),
  'rgb565 le': RGB565_LE,
  'rgb565 be': RGB565_BE,
  'bgr233 8': BGR233,
};

describe('PIXEL_FORMAT (RFC 6143 §7.4)', () => {
  it('round-trips the 16-byte wire form', () => {
    for (const f of Object.values(FORMATS)) {
      const wire = encodePixelFormat(f);
      expect(wire.length).toBe(16);
      expect(decodePixelFormat(wire)).toEqual(f);
    }
  });

  it('validates what the server can produce', () => {
    for (const f of Object.values(FORMATS)) expect(validatePixelFormat(f)).toBeNull();
    expect(validatePixelFormat(pf({ bitsPerPixel: 24 }))).toMatch(/bits-per-pixel/);
    expect(validatePixelFormat(pf({ trueColour: false }))).toMatch(/colour-map/);
    expect(validatePixelFormat(pf({ redMax: 0 }))).toMatch(/red-max/);
    expect(validatePixelFormat(pf({ greenMax: 100 }))).toMatch(/2\^n-1/);
    expect(validatePixelFormat(pf({ redShift: 30 }))).toMatch(/does not fit/);
  });

  it('chooses ZRLE CPIXEL sizes per rfbproto', () => {
    expect(cpixelLayout(DEFAULT_PIXEL_FORMAT)).toEqual({ size: 3, skip: 0 });
    expect(cpixelLayout(FORMATS['xrgb32 be']!)).toEqual({ size: 3, skip: 1 });
    expect(cpixelLayout(FORMATS['rgbx32 be']!)).toEqual({ size: 3, skip: 0 });
    expect(cpixelLayout(pf({ redShift: 24, greenShift: 16, blueShift: 8 }))).toEqual({
      size: 3,
      skip: 1,
    });
    expect(cpixelLayout(pf({ depth: 32 }))).toEqual({ size: 4, skip: 0 });
    expect(cpixelLayout(FORMATS['rgb565 le']!)).toEqual({ size: 2, skip: 0 });
    expect(cpixelLayout(FORMATS['bgr233 8']!)).toEqual({ size: 1, skip: 0 });
  });
});

describe('NV12 (BT.709 limited range) → RGB → client pixels', () => {
  it('recovers the test pattern bars within ±1', () => {
    const w = 320;
    const h = 180;
    const rgb = nv12ToRgb({
      id: 0,
      width: w,
      height: h,
      pitch: nv12Pitch(w),
      data: renderPattern(0, w, h),
      ptsMs: 0,
    });
    for (const s of barSamples(w, h)) {
      const o = (s.y * w + s.x) * 3;
      for (let k = 0; k < 3; k++) expect(Math.abs(rgb[o + k]! - s.rgb[k]!)).toBeLessThanOrEqual(1);
    }
  });

  it('maps limited-range extremes to 0 and 255 and clamps beyond them', () => {
    const frame = (y: number, cb: number, cr: number) => {
      const data = new Uint8Array((256 * 2 * 3) / 2);
      data.fill(y, 0, 512);
      for (let i = 512; i < data.length; i += 2) {
        data[i] = cb;
        data[i + 1] = cr;
      }
      return nv12ToRgb({ id: 0, width: 2, height: 2, pitch: 256, data, ptsMs: 0 });
    };
    expect([...frame(16, 128, 128).slice(0, 3)]).toEqual([0, 0, 0]);
    expect([...frame(235, 128, 128).slice(0, 3)]).toEqual([255, 255, 255]);
    expect([...frame(0, 128, 128).slice(0, 3)]).toEqual([0, 0, 0]);
    expect([...frame(255, 128, 128).slice(0, 3)]).toEqual([255, 255, 255]);
    const [y, cb, cr] = rgbToYcbcr(255, 0, 0);
    const red = frame(y, cb, cr);
    expect(red[0]).toBeGreaterThanOrEqual(253);
    expect(red[1]).toBeLessThanOrEqual(2);
    expect(red[2]).toBeLessThanOrEqual(2);
  });

  it('converts to every true-colour format and back within the format’s precision', () => {
    const rgb = new Uint8Array(TEST_BARS_RGB.flat().concat([255, 255, 255, 1, 2, 3, 250, 128, 7]));
    for (const [name, f] of Object.entries(FORMATS)) {
      const px = rgbToPixelValues(rgb, f);
      const wire = writePixels(px, f);
      const bpp = f.bitsPerPixel / 8;
      expect(wire.length, name).toBe(px.length * bpp);
      for (let i = 0; i < px.length; i++) {
        // Read the wire pixel in the format's byte order.
        let v = 0;
        for (let b = 0; b < bpp; b++) {
          const byte = wire[i * bpp + b]!;
          v += f.bigEndian ? byte * 2 ** (8 * (bpp - 1 - b)) : byte * 2 ** (8 * b);
        }
        expect(v, name).toBe(px[i]);
        const back = pixelValueToRgb(v, f);
        for (let k = 0; k < 3; k++) {
          const max = [f.redMax, f.greenMax, f.blueMax][k]!;
          const tol = Math.ceil(255 / max / 2);
          expect(
            Math.abs(back[k]! - rgb[i * 3 + k]!),
            `${name} px ${i} ch ${k}`,
          ).toBeLessThanOrEqual(tol);
        }
      }
    }
  });

  it('puts channels where the shifts say (xbgr32 little-endian is R,G,B,0 on the wire)', () => {
    const f = FORMATS['xbgr32 le (noVNC)']!;
    const wire = writePixels(rgbToPixelValues(new Uint8Array([10, 20, 30]), f), f);
    expect([...wire]).toEqual([10, 20, 30, 0]);
    const g = FORMATS['xrgb32 be']!;
    expect([...writePixels(rgbToPixelValues(new Uint8Array([10, 20, 30]), g), g)]).toEqual([
      0, 10, 20, 30,
    ]);
  });
});

describe('fused NV12 → pixel values', () => {
  it('equals nv12ToRgb followed by rgbToPixelValues, for every format and odd chroma edges', async () => {
    const { nv12ToPixelValues } = await import('./pixel-format.ts');
    for (const [w, h] of [
      [320, 180],
      [258, 146],
    ] as const) {
      const pitch = nv12Pitch(w);
      const data = new Uint8Array((pitch * h * 3) / 2);
      for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
      const frame = { id: 0, width: w, height: h, pitch, data, ptsMs: 0 };
      for (const [name, f] of Object.entries(FORMATS)) {
        expect(nv12ToPixelValues(frame, f), name).toEqual(rgbToPixelValues(nv12ToRgb(frame), f));
      }
    }
  });
});
