/**
 * RFB pixel formats and the colour path from the stream's NV12 frames back to client pixels.
 *
 * Source: RFC 6143 §7.4 (PIXEL_FORMAT), §7.5.1 (SetPixelFormat), rfbproto "ZRLE" (CPIXEL).
 */
import { YCBCR_TO_RGB } from '../../convert/bt709.ts';
import type { Nv12Frame } from '../../engine/contracts.ts';

/** An RFB PIXEL_FORMAT (RFC 6143 §7.4): 16 bytes on the wire. */
export interface PixelFormat {
  /** Bits per pixel on the wire: 8, 16 or 32. */
  bitsPerPixel: number;
  /** Useful bits in a pixel (informational here). */
  depth: number;
  /** Multi-byte pixels are sent big-endian when true. */
  bigEndian: boolean;
  /** Only true-colour formats are supported (colour maps are refused). */
  trueColour: boolean;
  /** Maximum value of each channel, e.g. 255 (must be 2^n - 1). */
  redMax: number;
  greenMax: number;
  blueMax: number;
  /** Bit position of each channel inside the pixel value. */
  redShift: number;
  greenShift: number;
  blueShift: number;
}

/** The server's native format, sent in ServerInit: 32 bpp, depth 24, little-endian, xRGB. */
export const DEFAULT_PIXEL_FORMAT: Readonly<PixelFormat> = Object.freeze({
  bitsPerPixel: 32,
  depth: 24,
  bigEndian: false,
  trueColour: true,
  redMax: 255,
  greenMax: 255,
  blueMax: 255,
  redShift: 16,
  greenShift: 8,
  blueShift: 0,
});

/** Serialises a pixel format into its 16-byte wire form (RFC 6143 §7.4). */
export function encodePixelFormat(pf: PixelFormat): Buffer {
  const b = Buffer.alloc(16);
  b[0] = pf.bitsPerPixel;
  b[1] = pf.depth;
  b[2] = pf.bigEndian ? 1 : 0;
  b[3] = pf.trueColour ? 1 : 0;
  b.writeUInt16BE(pf.redMax, 4);
  b.writeUInt16BE(pf.greenMax, 6);
  b.writeUInt16BE(pf.blueMax, 8);
  b[10] = pf.redShift;
  b[11] = pf.greenShift;
  b[12] = pf.blueShift;
  return b;
}

/** Parses the 16-byte wire form at `offset` (RFC 6143 §7.4). Does not validate; see {@link validatePixelFormat}. */
export function decodePixelFormat(b: Uint8Array, offset = 0): PixelFormat {
  const u16 = (i: number) => ((b[offset + i] ?? 0) << 8) | (b[offset + i + 1] ?? 0);
  return {
    bitsPerPixel: b[offset] ?? 0,
    depth: b[offset + 1] ?? 0,
    bigEndian: (b[offset + 2] ?? 0) !== 0,
    trueColour: (b[offset + 3] ?? 0) !== 0,
    redMax: u16(4),
    greenMax: u16(6),
    blueMax: u16(8),
    redShift: b[offset + 10] ?? 0,
    greenShift: b[offset + 11] ?? 0,
    blueShift: b[offset + 12] ?? 0,
  };
}

/**
 * Checks that a client's pixel format is one this server can produce.
 * @returns `null` when usable, else a reason (colour maps, odd bpp, channels outside the pixel).
 */
export function validatePixelFormat(pf: PixelFormat): string | null {
  if (pf.bitsPerPixel !== 8 && pf.bitsPerPixel !== 16 && pf.bitsPerPixel !== 32) {
    return `unsupported bits-per-pixel ${pf.bitsPerPixel}`;
  }
  if (!pf.trueColour) return 'colour-map pixel formats are not supported';
  for (const [max, shift, name] of [
    [pf.redMax, pf.redShift, 'red'],
    [pf.greenMax, pf.greenShift, 'green'],
    [pf.blueMax, pf.blueShift, 'blue'],
  ] as const) {
    if (max === 0 || (max & (max + 1)) !== 0) return `${name}-max ${max} is not 2^n-1`;
    if (shift + bitLength(max) > pf.bitsPerPixel) return `${name} channel does not fit the pixel`;
  }
  return null;
}

function bitLength(v: number): number {
  return v === 0 ? 0 : 32 - Math.clz32(v);
}

/** A stable string key for caching per-format conversions. */
export function pixelFormatKey(pf: PixelFormat): string {
  return [
    pf.bitsPerPixel,
    pf.bigEndian ? 'b' : 'l',
    pf.redMax,
    pf.greenMax,
    pf.blueMax,
    pf.redShift,
    pf.greenShift,
    pf.blueShift,
  ].join(':');
}

/** Bytes per pixel on the wire (1, 2 or 4). */
export function bytesPerPixel(pf: PixelFormat): number {
  return pf.bitsPerPixel >> 3;
}

/**
 * ZRLE's compressed pixel size (rfbproto "ZRLE", CPIXEL): 3 bytes when the format is true-colour,
 * 32 bpp, depth <= 24 and every colour bit lies in the least or the most significant three bytes;
 * otherwise the pixel size.
 * @returns `{ size, skip }`: CPIXEL byte count and how many leading wire bytes of the full pixel to skip.
 */
export function cpixelLayout(pf: PixelFormat): { size: number; skip: number } {
  const bpp = bytesPerPixel(pf);
  if (pf.bitsPerPixel !== 32 || !pf.trueColour || pf.depth > 24) return { size: bpp, skip: 0 };
  const mask =
    ((pf.redMax << pf.redShift) | (pf.greenMax << pf.greenShift) | (pf.blueMax << pf.blueShift)) >>>
    0;
  const fitsLow = (mask & 0xff000000) === 0;
  const fitsHigh = (mask & 0x000000ff) === 0;
  if (fitsLow) return { size: 3, skip: pf.bigEndian ? 1 : 0 };
  if (fitsHigh) return { size: 3, skip: pf.bigEndian ? 0 : 1 };
  return { size: 4, skip: 0 };
}

// BT.709 limited range → RGB as 16.16 fixed-point tables (the per-pixel hot path of ZRLE/Raw),
// built from the coefficients of main/convert/bt709.ts ({@link YCBCR_TO_RGB}):
// R = 1.164384 (Y-16) + 1.792741 (Cr-128)
// G = 1.164384 (Y-16) - 0.213249 (Cb-128) - 0.532909 (Cr-128)
// B = 1.164384 (Y-16) + 2.112402 (Cb-128)
const Y_TAB = new Int32Array(256);
const CR_R = new Int32Array(256);
const CB_G = new Int32Array(256);
const CR_G = new Int32Array(256);
const CB_B = new Int32Array(256);
for (let i = 0; i < 256; i++) {
  Y_TAB[i] = Math.round(YCBCR_TO_RGB.y * (i - 16) * 65536) + 32768;
  CR_R[i] = Math.round(YCBCR_TO_RGB.crR * (i - 128) * 65536);
  CB_G[i] = Math.round(YCBCR_TO_RGB.cbG * (i - 128) * 65536);
  CR_G[i] = Math.round(YCBCR_TO_RGB.crG * (i - 128) * 65536);
  CB_B[i] = Math.round(YCBCR_TO_RGB.cbB * (i - 128) * 65536);
}
const CLAMP = new Uint8Array(1024);
for (let i = 0; i < 1024; i++) CLAMP[i] = Math.max(0, Math.min(255, i - 384));

/**
 * Converts an NV12 frame (BT.709 limited range, pitched rows) to packed RGB888
 * (3 bytes per pixel, rows of `width * 3` bytes, no padding).
 * @param out optional destination of at least `width * height * 3` bytes.
 */
export function nv12ToRgb(frame: Nv12Frame, out?: Uint8Array): Uint8Array {
  const { width: w, height: h, pitch, data } = frame;
  const rgb = out ?? new Uint8Array(w * h * 3);
  const uvBase = pitch * h;
  for (let y = 0; y < h; y++) {
    const yRow = y * pitch;
    const uvRow = uvBase + (y >> 1) * pitch;
    let o = y * w * 3;
    for (let x = 0; x < w; x++) {
      const uv = uvRow + (x & ~1);
      const cb = data[uv]!;
      const cr = data[uv + 1]!;
      const yy = Y_TAB[data[yRow + x]!]!;
      rgb[o] = CLAMP[((yy + CR_R[cr]!) >> 16) + 384]!;
      rgb[o + 1] = CLAMP[((yy + CB_G[cb]! + CR_G[cr]!) >> 16) + 384]!;
      rgb[o + 2] = CLAMP[((yy + CB_B[cb]!) >> 16) + 384]!;
      o += 3;
    }
  }
  return rgb;
}

/**
 * Converts an NV12 frame straight to pixel values of `pf` (one unsigned 32-bit value per pixel,
 * rows of `width`, no padding): the BT.709 limited-range inverse of {@link nv12ToRgb} fused with
 * {@link rgbToPixelValues}, with each chroma sample's terms computed once for its 2x2 block.
 */
export function nv12ToPixelValues(
  frame: Nv12Frame,
  pf: PixelFormat,
  out?: Uint32Array,
): Uint32Array {
  const { width: w, height: h, pitch, data } = frame;
  const px = out ?? new Uint32Array(w * h);
  const { r: rT, g: gT, b: bT } = channelTables(pf);
  const uvBase = pitch * h;
  for (let y = 0; y < h; y += 2) {
    const y0 = y * pitch;
    const y1 = y0 + pitch;
    const uvRow = uvBase + (y >> 1) * pitch;
    const o0 = y * w;
    const o1 = o0 + w;
    const twoRows = y + 1 < h;
    for (let x = 0; x < w; x += 2) {
      const cb = data[uvRow + x]!;
      const cr = data[uvRow + x + 1]!;
      const dr = CR_R[cr]!;
      const dg = CB_G[cb]! + CR_G[cr]!;
      const db = CB_B[cb]!;
      let yy = Y_TAB[data[y0 + x]!]!;
      px[o0 + x] =
        rT[CLAMP[((yy + dr) >> 16) + 384]!]! |
        gT[CLAMP[((yy + dg) >> 16) + 384]!]! |
        bT[CLAMP[((yy + db) >> 16) + 384]!]!;
      if (x + 1 < w) {
        yy = Y_TAB[data[y0 + x + 1]!]!;
        px[o0 + x + 1] =
          rT[CLAMP[((yy + dr) >> 16) + 384]!]! |
          gT[CLAMP[((yy + dg) >> 16) + 384]!]! |
          bT[CLAMP[((yy + db) >> 16) + 384]!]!;
      }
      if (twoRows) {
        yy = Y_TAB[data[y1 + x]!]!;
        px[o1 + x] =
          rT[CLAMP[((yy + dr) >> 16) + 384]!]! |
          gT[CLAMP[((yy + dg) >> 16) + 384]!]! |
          bT[CLAMP[((yy + db) >> 16) + 384]!]!;
        if (x + 1 < w) {
          yy = Y_TAB[data[y1 + x + 1]!]!;
          px[o1 + x + 1] =
            rT[CLAMP[((yy + dr) >> 16) + 384]!]! |
            gT[CLAMP[((yy + dg) >> 16) + 384]!]! |
            bT[CLAMP[((yy + db) >> 16) + 384]!]!;
        }
      }
    }
  }
  return px;
}

/** Per-channel lookup tables: 8-bit channel value → its bits placed in the pixel value. */
export interface ChannelTables {
  r: Uint32Array;
  g: Uint32Array;
  b: Uint32Array;
}

/** Builds the lookup tables mapping 8-bit channels to shifted, scaled pixel bits for `pf`. */
export function channelTables(pf: PixelFormat): ChannelTables {
  const make = (max: number, shift: number) => {
    const t = new Uint32Array(256);
    for (let i = 0; i < 256; i++) t[i] = (Math.round((i * max) / 255) * 2 ** shift) >>> 0;
    return t;
  };
  return {
    r: make(pf.redMax, pf.redShift),
    g: make(pf.greenMax, pf.greenShift),
    b: make(pf.blueMax, pf.blueShift),
  };
}

/**
 * Maps packed RGB888 to pixel values of `pf` (one unsigned 32-bit value per pixel; the wire
 * byte order is applied later by {@link writePixels} or the ZRLE encoder).
 */
export function rgbToPixelValues(rgb: Uint8Array, pf: PixelFormat, out?: Uint32Array): Uint32Array {
  const n = Math.floor(rgb.length / 3);
  const px = out ?? new Uint32Array(n);
  const { r, g, b } = channelTables(pf);
  for (let i = 0, o = 0; i < n; i++, o += 3) {
    px[i] = r[rgb[o]!]! | g[rgb[o + 1]!]! | b[rgb[o + 2]!]!;
  }
  return px;
}

/**
 * Writes pixel values as wire pixels (RFC 6143 §7.6.1 Raw): `bytesPerPixel(pf)` bytes each,
 * in the format's byte order.
 */
export function writePixels(px: Uint32Array, pf: PixelFormat, out?: Buffer): Buffer {
  const bpp = bytesPerPixel(pf);
  const buf = out ?? Buffer.allocUnsafe(px.length * bpp);
  if (bpp === 4) {
    const le = !pf.bigEndian;
    // Fast path: a Uint32Array view in host order (little-endian on every platform Node runs on).
    if (le && buf.byteOffset % 4 === 0) {
      new Uint32Array(buf.buffer, buf.byteOffset, px.length).set(px);
    } else {
      for (let i = 0; i < px.length; i++) {
        if (le) buf.writeUInt32LE(px[i]!, i * 4);
        else buf.writeUInt32BE(px[i]!, i * 4);
      }
    }
  } else if (bpp === 2) {
    for (let i = 0; i < px.length; i++) {
      const v = px[i]!;
      if (pf.bigEndian) {
        buf[i * 2] = v >> 8;
        buf[i * 2 + 1] = v & 0xff;
      } else {
        buf[i * 2] = v & 0xff;
        buf[i * 2 + 1] = v >> 8;
      }
    }
  } else {
    for (let i = 0; i < px.length; i++) buf[i] = px[i]!;
  }
  return buf;
}

/**
 * Reads one wire pixel back to 8-bit RGB (test decoders; inverse of {@link channelTables}).
 */
export function pixelValueToRgb(v: number, pf: PixelFormat): [number, number, number] {
  const ch = (max: number, shift: number) => Math.round((((v >>> shift) & max) * 255) / max);
  return [ch(pf.redMax, pf.redShift), ch(pf.greenMax, pf.greenShift), ch(pf.blueMax, pf.blueShift)];
}
