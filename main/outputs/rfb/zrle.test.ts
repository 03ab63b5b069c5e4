import { deflateSync, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PIXEL_FORMAT, type PixelFormat } from './pixel-format.ts';
import { BGR233, pixelFormat as pf, RGB565_LE } from './test-support.ts';
import { rng } from '../../../e2e/support/rng.ts';
import { ZRLE_TILE, cpixelShifts, decodeZrleTiles, encodeZrleTiles } from './zrle.ts';

const FORMATS: PixelFormat[] = [
  DEFAULT_PIXEL_FORMAT,
  pf({ bigEndian: true }),
  pf({ redShift: 24, greenShift: 16, blueShift: 8 }),
  pf({ depth: 32, redShift: 24, greenShift: 8, blueShift: 0 }),
  RGB565_LE,
  BGR233,
];

/** An image whose tiles exercise every subencoding: solid, 2/3-4/5-16 colours, runs, noise. */
function image(w: number, h: number, f: PixelFormat, seed: number): Uint32Array {
  const r = rng(seed);
  const mask = (f.redMax << f.redShift) | (f.greenMax << f.greenShift) | (f.blueMax << f.blueShift);
  const colour = () => (Math.floor(r() * 0xffffffff) & mask) >>> 0;
  const px = new Uint32Array(w * h);
  for (let ty = 0; ty < h; ty += ZRLE_TILE) {
    for (let tx = 0; tx < w; tx += ZRLE_TILE) {
      const kind = Math.floor(r() * 7);
      const palette = Array.from({ length: [1, 2, 4, 16, 100, 200, 3][kind]! }, colour);
      for (let y = ty; y < Math.min(h, ty + ZRLE_TILE); y++) {
        let run = 0;
        let c = palette[0]!;
        for (let x = tx; x < Math.min(w, tx + ZRLE_TILE); x++) {
          if (kind === 6) {
            // long runs of few colours → palette RLE / plain RLE
            if (run-- <= 0) {
              c = palette[Math.floor(r() * palette.length)]!;
              run = Math.floor(r() * 300);
            }
          } else c = palette[Math.floor(r() * palette.length)]!;
          px[y * w + x] = c;
        }
      }
    }
  }
  return px;
}

/** Walks the tile stream and names each tile's subencoding. */
function subencodings(data: Buffer, w: number, h: number, f: PixelFormat): Set<string> {
  const kinds = new Set<string>();
  const cpx = cpixelShifts(f).length;
  let o = 0;
  const run = () => {
    let r = 1;
    for (;;) {
      const b = data[o++]!;
      r += b;
      if (b !== 255) return r;
    }
  };
  for (let ty = 0; ty < h; ty += ZRLE_TILE) {
    for (let tx = 0; tx < w; tx += ZRLE_TILE) {
      const tw = Math.min(ZRLE_TILE, w - tx);
      const th = Math.min(ZRLE_TILE, h - ty);
      const sub = data[o++]!;
      if (sub === 0) {
        kinds.add('raw');
        o += tw * th * cpx;
      } else if (sub === 1) {
        kinds.add('solid');
        o += cpx;
      } else if (sub <= 16) {
        kinds.add('packed');
        const bits = sub <= 2 ? 1 : sub <= 4 ? 2 : 4;
        o += sub * cpx + th * Math.ceil((tw * bits) / 8);
      } else if (sub === 128) {
        kinds.add('rle');
        for (let k = 0; k < tw * th;) {
          o += cpx;
          k += run();
        }
      } else {
        kinds.add('prle');
        o += (sub - 128) * cpx;
        for (let k = 0; k < tw * th;) k += data[o++]! & 128 ? run() : 1;
      }
    }
  }
  expect(o).toBe(data.length);
  return kinds;
}

describe('ZRLE tiles (rfbproto "ZRLE")', () => {
  it('decode(encode(x)) === x for every pixel format, odd sizes included', () => {
    for (const [i, f] of FORMATS.entries()) {
      for (const [w, h] of [
        [64, 64],
        [130, 70],
        [1, 1],
        [65, 129],
        [200, 3],
      ] as const) {
        const px = image(w, h, f, 1000 * i + w + h);
        const enc = encodeZrleTiles(px, w, 0, 0, w, h, f);
        // Through a real zlib stream as on the wire.
        const wire = inflateSync(deflateSync(enc));
        expect(decodeZrleTiles(wire, w, h, f), `format ${i} ${w}x${h}`).toEqual(px);
      }
    }
  });

  it('uses solid, packed palette, RLE and raw tiles where they are smallest', () => {
    const f = DEFAULT_PIXEL_FORMAT;
    const w = 64 * 8;
    const h = 64 * 4;
    const px = image(w, h, f, 7);
    const enc = encodeZrleTiles(px, w, 0, 0, w, h, f);
    const kinds = subencodings(enc, w, h, f);
    for (const k of ['solid', 'packed', 'raw', 'prle']) expect(kinds.has(k), k).toBe(true);
    expect(enc.length).toBeLessThan(w * h * 3 + (w / 64) * (h / 64));
  });

  it('encodes a solid tile in 1 + CPIXEL bytes', () => {
    const px = new Uint32Array(64 * 64).fill(0x00112233);
    const enc = encodeZrleTiles(px, 64, 0, 0, 64, 64, DEFAULT_PIXEL_FORMAT);
    expect([...enc]).toEqual([1, 0x33, 0x22, 0x11]);
  });

  it('encodes a sub-rectangle of a wider image', () => {
    const f = DEFAULT_PIXEL_FORMAT;
    const px = image(300, 100, f, 3);
    const enc = encodeZrleTiles(px, 300, 50, 10, 100, 80, f);
    const out = decodeZrleTiles(enc, 100, 80, f);
    for (let y = 0; y < 80; y++) {
      expect(out.subarray(y * 100, y * 100 + 100)).toEqual(
        px.subarray((y + 10) * 300 + 50, (y + 10) * 300 + 150),
      );
    }
  });

  it('the test decoder rejects truncated data', () => {
    const px = image(64, 64, DEFAULT_PIXEL_FORMAT, 9);
    const enc = encodeZrleTiles(px, 64, 0, 0, 64, 64, DEFAULT_PIXEL_FORMAT);
    expect(() =>
      decodeZrleTiles(enc.subarray(0, enc.length - 1), 64, 64, DEFAULT_PIXEL_FORMAT),
    ).toThrow();
  });
});
