/**
 * Our ZRLE tiles decoded by a real client's decoder: noVNC 1.7's `core/decoders/zrle.js`
 * (run in Node with a stub socket and display), through one zlib stream per connection with
 * Z_SYNC_FLUSH per rectangle, on images that exercise every subencoding.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { constants as zc, createDeflate } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PIXEL_FORMAT, type PixelFormat } from './pixel-format.ts';
import { rng } from '../../../e2e/support/rng.ts';
import { ZRLE_TILE, encodeZrleTiles } from './zrle.ts';

/** The pixel format noVNC asks for: 32 bpp little-endian, R at bit 0, G at 8, B at 16. */
const NOVNC_PF: PixelFormat = {
  ...DEFAULT_PIXEL_FORMAT,
  redShift: 0,
  greenShift: 8,
  blueShift: 16,
};

interface NoVncZrle {
  decodeRect(
    x: number,
    y: number,
    w: number,
    h: number,
    sock: unknown,
    display: unknown,
    depth: number,
  ): boolean;
}

async function loadDecoder(): Promise<new () => NoVncZrle> {
  const rfbJs = createRequire(import.meta.url).resolve('@novnc/novnc');
  const url = pathToFileURL(join(dirname(rfbJs), 'decoders', 'zrle.js')).href;
  return ((await import(url)) as { default: new () => NoVncZrle }).default;
}

/** Tiles with 1, 2, 3, 9, 100 and ~4096 colours, with and without long runs. */
function image(w: number, h: number, seed: number): Uint32Array {
  const r = rng(seed);
  const px = new Uint32Array(w * h);
  for (let ty = 0; ty < h; ty += ZRLE_TILE) {
    for (let tx = 0; tx < w; tx += ZRLE_TILE) {
      const colours = [1, 2, 3, 9, 100, 4096][Math.floor(r() * 6)]!;
      const runs = r() < 0.5;
      const pal = Array.from({ length: colours }, () => Math.floor(r() * 0xffffff));
      let c = pal[0]!;
      for (let y = ty; y < Math.min(h, ty + ZRLE_TILE); y++) {
        for (let x = tx; x < Math.min(w, tx + ZRLE_TILE); x++) {
          if (!runs || r() < 0.02) c = pal[Math.floor(r() * colours)]!;
          px[y * w + x] = c;
        }
      }
    }
  }
  return px;
}

describe('ZRLE decoded by noVNC 1.7', () => {
  it('noVNC reproduces every pixel of two rectangles on one zlib stream', async () => {
    const Decoder = await loadDecoder();
    const decoder = new Decoder();
    const deflate = createDeflate({ level: 1 });
    const compress = (data: Buffer) =>
      new Promise<Buffer>((resolve) => {
        const out: Buffer[] = [];
        const onData = (c: Buffer) => out.push(c);
        deflate.on('data', onData);
        deflate.write(data);
        deflate.flush(zc.Z_SYNC_FLUSH, () => {
          deflate.off('data', onData);
          resolve(Buffer.concat(out));
        });
      });

    for (const [w, h, seed] of [
      [200, 130, 1],
      [64 * 5, 64 * 3, 2],
    ] as const) {
      const px = image(w, h, seed);
      const z = await compress(encodeZrleTiles(px, w, 0, 0, w, h, NOVNC_PF));
      // Stub socket holding `U32 length` + data, as RFB delivers it.
      let off = 0;
      const wire = Buffer.concat([Buffer.alloc(4), z]);
      wire.writeUInt32BE(z.length, 0);
      const sock = {
        rQwait: (_what: string, n: number) => wire.length - off < n,
        rQshift32: () => {
          off += 4;
          return wire.readUInt32BE(off - 4);
        },
        rQshiftBytes: (n: number) => {
          off += n;
          return new Uint8Array(wire.subarray(off - n, off));
        },
      };
      const got = new Uint32Array(w * h);
      const display = {
        fillRect: (x: number, y: number, tw: number, th: number, c: number[]) => {
          for (let j = 0; j < th; j++) {
            for (let i = 0; i < tw; i++)
              got[(y + j) * w + x + i] = c[0]! | (c[1]! << 8) | (c[2]! << 16);
          }
        },
        blitImage: (x: number, y: number, tw: number, th: number, data: Uint8Array, o: number) => {
          for (let j = 0; j < th; j++) {
            for (let i = 0; i < tw; i++) {
              const k = o + (j * tw + i) * 4;
              got[(y + j) * w + x + i] = data[k]! | (data[k + 1]! << 8) | (data[k + 2]! << 16);
            }
          }
        },
      };
      expect(decoder.decodeRect(0, 0, w, h, sock, display, 24)).toBe(true);
      expect(off).toBe(wire.length);
      // Our pixel values for NOVNC_PF are R | G << 8 | B << 16 of the 24-bit colours.
      const expected = px.map((v) => v & 0xffffff);
      expect(got).toEqual(expected);
    }
    deflate.close();
  });
});
