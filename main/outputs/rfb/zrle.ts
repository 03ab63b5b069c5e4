/**
 * ZRLE tile encoding (rfbproto "ZRLE encoding", encoding type 16; RFC 6143 §7.7.6).
 *
 * A ZRLE rectangle is `U32 length` followed by that many bytes of one zlib stream that lives as
 * long as the connection. This module builds the *uncompressed* tile data (64x64 tiles, left to
 * right, top to bottom, each a subencoding byte and its payload); the caller compresses it with
 * the connection's deflate stream and a Z_SYNC_FLUSH. The uncompressed data depends only on the
 * pixels and the pixel format, so it is shared by every client with the same format.
 *
 * Subencodings produced: 0 raw, 1 solid, 2..16 packed palette, 128 plain RLE, 130..255 palette RLE;
 * per tile the smallest is chosen.
 */
import { bytesPerPixel, cpixelLayout, type PixelFormat } from './pixel-format.ts';

/** ZRLE tiles are 64x64 pixels (the last column/row may be smaller). */
export const ZRLE_TILE = 64;

/** Byte shifts that extract each CPIXEL byte from a pixel value, in wire order. */
export function cpixelShifts(pf: PixelFormat): number[] {
  const bpp = bytesPerPixel(pf);
  const wire: number[] = [];
  for (let i = 0; i < bpp; i++) wire.push(pf.bigEndian ? (bpp - 1 - i) * 8 : i * 8);
  const { size, skip } = cpixelLayout(pf);
  return wire.slice(skip, skip + size);
}

/** Worst-case size of the uncompressed tile data for a `w` x `h` rectangle. */
export function zrleMaxRawSize(w: number, h: number, pf: PixelFormat): number {
  const tiles = Math.ceil(w / ZRLE_TILE) * Math.ceil(h / ZRLE_TILE);
  return tiles + w * h * cpixelShifts(pf).length;
}

const HASH_SLOTS = 256;
const MAX_PALETTE = 127;

function lenBytes(run: number): number {
  return Math.floor((run - 1) / 255) + 1;
}

/**
 * Encodes the rectangle `(x, y, w, h)` of a `stride`-pixels-wide image of pixel values
 * (see `rgbToPixelValues`) into uncompressed ZRLE tile data.
 * @returns a view of `out` (or of a new buffer) holding exactly the encoded bytes.
 */
export function encodeZrleTiles(
  px: Uint32Array,
  stride: number,
  x: number,
  y: number,
  w: number,
  h: number,
  pf: PixelFormat,
  out?: Buffer,
): Buffer {
  const shifts = cpixelShifts(pf);
  const cpx = shifts.length;
  const s0 = shifts[0] ?? 0;
  const s1 = shifts[1] ?? 0;
  const s2 = shifts[2] ?? 0;
  const s3 = shifts[3] ?? 0;
  const buf = out ?? Buffer.allocUnsafe(zrleMaxRawSize(w, h, pf));
  let o = 0;
  const putC = (v: number) => {
    buf[o++] = (v >>> s0) & 0xff;
    if (cpx > 1) buf[o++] = (v >>> s1) & 0xff;
    if (cpx > 2) buf[o++] = (v >>> s2) & 0xff;
    if (cpx > 3) buf[o++] = (v >>> s3) & 0xff;
  };
  const putRun = (run: number) => {
    let r = run - 1;
    while (r >= 255) {
      buf[o++] = 255;
      r -= 255;
    }
    buf[o++] = r;
  };

  const hashKeys = new Uint32Array(HASH_SLOTS);
  const hashIdx = new Int16Array(HASH_SLOTS);
  const palette = new Uint32Array(MAX_PALETTE);
  const lookup = (v: number): number => {
    let h = Math.imul(v, 0x9e3779b1) >>> 24;
    for (;;) {
      const idx = hashIdx[h]!;
      if (idx < 0 || hashKeys[h] === v) return h;
      h = (h + 1) & (HASH_SLOTS - 1);
    }
  };

  // Calls `emit(value, length)` for each run of equal pixel values of the tile, in tile order
  // (rows joined), for both RLE subencodings.
  const forEachRun = (
    tx: number,
    ty: number,
    tw: number,
    th: number,
    emit: (value: number, run: number) => void,
  ): void => {
    let cur = px[ty * stride + tx]!;
    let r = 0;
    for (let j = 0; j < th; j++) {
      let p = (ty + j) * stride + tx;
      for (let i = 0; i < tw; i++, p++) {
        const v = px[p]!;
        if (v === cur) r++;
        else {
          emit(cur, r);
          cur = v;
          r = 1;
        }
      }
    }
    emit(cur, r);
  };

  for (let ty = y; ty < y + h; ty += ZRLE_TILE) {
    const th = Math.min(ZRLE_TILE, y + h - ty);
    for (let tx = x; tx < x + w; tx += ZRLE_TILE) {
      const tw = Math.min(ZRLE_TILE, x + w - tx);
      // Pass 1: palette (up to 127 colours) and run statistics.
      hashIdx.fill(-1);
      let n = 0;
      let overflow = false;
      let rleBytes = 0; // plain RLE payload
      let pRleBytes = 0; // palette RLE payload (excluding the palette)
      let prev = px[ty * stride + tx]!;
      let run = 0;
      for (let j = 0; j < th; j++) {
        let p = (ty + j) * stride + tx;
        for (let i = 0; i < tw; i++, p++) {
          const v = px[p]!;
          if (!overflow) {
            const slot = lookup(v);
            if (hashIdx[slot]! < 0) {
              if (n === MAX_PALETTE) overflow = true;
              else {
                hashKeys[slot] = v;
                hashIdx[slot] = n;
                palette[n++] = v;
              }
            }
          }
          if (v === prev) run++;
          else {
            rleBytes += cpx + lenBytes(run);
            pRleBytes += run === 1 ? 1 : 1 + lenBytes(run);
            prev = v;
            run = 1;
          }
        }
      }
      rleBytes += cpx + lenBytes(run);
      pRleBytes += run === 1 ? 1 : 1 + lenBytes(run);

      if (!overflow && n === 1) {
        buf[o++] = 1;
        putC(palette[0]!);
        continue;
      }
      const rawSize = tw * th * cpx;
      let best = 0; // 0 raw, 1 packed palette, 2 plain rle, 3 palette rle
      let bestSize = rawSize;
      const bits = n <= 2 ? 1 : n <= 4 ? 2 : 4;
      if (!overflow && n <= 16) {
        const size = n * cpx + th * Math.ceil((tw * bits) / 8);
        if (size < bestSize) [best, bestSize] = [1, size];
      }
      if (rleBytes < bestSize) [best, bestSize] = [2, rleBytes];
      if (!overflow && n * cpx + pRleBytes < bestSize) best = 3;

      if (best === 0) {
        buf[o++] = 0;
        for (let j = 0; j < th; j++) {
          let p = (ty + j) * stride + tx;
          for (let i = 0; i < tw; i++, p++) putC(px[p]!);
        }
      } else if (best === 1) {
        buf[o++] = n;
        for (let k = 0; k < n; k++) putC(palette[k]!);
        for (let j = 0; j < th; j++) {
          let p = (ty + j) * stride + tx;
          let acc = 0;
          let nbits = 0;
          for (let i = 0; i < tw; i++, p++) {
            acc = (acc << bits) | hashIdx[lookup(px[p]!)]!;
            nbits += bits;
            if (nbits === 8) {
              buf[o++] = acc;
              acc = 0;
              nbits = 0;
            }
          }
          if (nbits > 0) buf[o++] = (acc << (8 - nbits)) & 0xff;
        }
      } else if (best === 2) {
        buf[o++] = 128;
        forEachRun(tx, ty, tw, th, (v, r) => {
          putC(v);
          putRun(r);
        });
      } else {
        buf[o++] = 128 + n;
        for (let k = 0; k < n; k++) putC(palette[k]!);
        forEachRun(tx, ty, tw, th, (v, r) => {
          const idx = hashIdx[lookup(v)]!;
          if (r === 1) buf[o++] = idx;
          else {
            buf[o++] = idx | 128;
            putRun(r);
          }
        });
      }
    }
  }
  return buf.subarray(0, o);
}

/**
 * Decodes uncompressed ZRLE tile data back to pixel values (for tests and test clients).
 * @throws Error on a malformed or truncated stream.
 */
export function decodeZrleTiles(
  data: Uint8Array,
  w: number,
  h: number,
  pf: PixelFormat,
): Uint32Array {
  const shifts = cpixelShifts(pf);
  const cpx = shifts.length;
  const out = new Uint32Array(w * h);
  let o = 0;
  const need = (k: number) => {
    if (o + k > data.length) throw new Error('ZRLE data truncated');
  };
  const getC = () => {
    need(cpx);
    let v = 0;
    for (let k = 0; k < cpx; k++) v = (v | (data[o++]! << shifts[k]!)) >>> 0;
    return v;
  };
  const getRun = () => {
    let r = 1;
    for (;;) {
      need(1);
      const b = data[o++]!;
      r += b;
      if (b !== 255) return r;
    }
  };
  for (let ty = 0; ty < h; ty += ZRLE_TILE) {
    const th = Math.min(ZRLE_TILE, h - ty);
    for (let tx = 0; tx < w; tx += ZRLE_TILE) {
      const tw = Math.min(ZRLE_TILE, w - tx);
      need(1);
      const sub = data[o++]!;
      const set = (k: number, v: number) => {
        out[(ty + Math.floor(k / tw)) * w + tx + (k % tw)] = v;
      };
      if (sub === 0) {
        for (let k = 0; k < tw * th; k++) set(k, getC());
      } else if (sub === 1) {
        const v = getC();
        for (let k = 0; k < tw * th; k++) set(k, v);
      } else if (sub <= 16) {
        const pal: number[] = [];
        for (let k = 0; k < sub; k++) pal.push(getC());
        const bits = sub <= 2 ? 1 : sub <= 4 ? 2 : 4;
        for (let j = 0; j < th; j++) {
          let nbits = 0;
          let byte = 0;
          for (let i = 0; i < tw; i++) {
            if (nbits === 0) {
              need(1);
              byte = data[o++]!;
              nbits = 8;
            }
            nbits -= bits;
            const idx = (byte >> nbits) & ((1 << bits) - 1);
            if (idx >= sub) throw new Error('ZRLE palette index out of range');
            set(j * tw + i, pal[idx]!);
          }
        }
      } else if (sub === 128) {
        let k = 0;
        while (k < tw * th) {
          const v = getC();
          const r = getRun();
          if (k + r > tw * th) throw new Error('ZRLE run past tile');
          for (let e = 0; e < r; e++) set(k++, v);
        }
      } else if (sub >= 130) {
        const pal: number[] = [];
        for (let k = 0; k < sub - 128; k++) pal.push(getC());
        let k = 0;
        while (k < tw * th) {
          need(1);
          const b = data[o++]!;
          const v = pal[b & 127];
          if (v === undefined) throw new Error('ZRLE palette index out of range');
          const r = b & 128 ? getRun() : 1;
          if (k + r > tw * th) throw new Error('ZRLE run past tile');
          for (let e = 0; e < r; e++) set(k++, v);
        }
      } else {
        throw new Error(`ZRLE: unsupported subencoding ${sub}`);
      }
    }
  }
  return out;
}
