/**
 * BT.709 limited-range ("TV range") colour conversion, the one definition shared by the GPU pass
 * (its WGSL is generated from these constants) and the CPU reference.
 *
 * Source: ITU-R BT.709-6, item 3.2 (Kr = 0.2126, Kb = 0.0722) and 3.4 (8-bit quantisation:
 * Y' = 16 + 219·E'y, Cb/Cr = 128 + 224·E'cb/cr). Inputs are gamma-encoded R'G'B' in [0, 1].
 */

/** Luma weight of red. */
export const KR = 0.2126;
/** Luma weight of blue. */
export const KB = 0.0722;
/** Luma weight of green. */
export const KG = 1 - KR - KB;

/** Row pitch in bytes of an NV12 buffer for `width` pixels: rounded up to 256, as encoders and copies like. */
export function nv12Pitch(width: number): number {
  return Math.ceil(width / 256) * 256;
}

/** Size in bytes of an NV12 buffer of `height` rows at `pitch` bytes per row (Y then CbCr at half height). */
export function nv12Size(pitch: number, height: number): number {
  return pitch * height * 1.5;
}

/** Full-range luma KR·r + KG·g + KB·b of one R'G'B' colour, on the channels' scale (e.g. 0..255). */
export function luma(r: number, g: number, b: number): number {
  return KR * r + KG * g + KB * b;
}

/** Y' byte of one pixel (r, g, b in 0..255). */
export function lumaByte(r: number, g: number, b: number): number {
  const y = luma(r, g, b) / 255;
  return clampByte(16 + 219 * y);
}

/** Cb and Cr bytes from the average r, g, b (0..255) of a 2x2 block. */
export function chromaBytes(r: number, g: number, b: number): [number, number] {
  const y = luma(r, g, b) / 255;
  const cb = (b / 255 - y) / (2 * (1 - KB));
  const cr = (r / 255 - y) / (2 * (1 - KR));
  return [clampByte(128 + 224 * cb), clampByte(128 + 224 * cr)];
}

/**
 * Y', Cb and Cr bytes of one R'G'B' colour (r, g, b in 0..255): {@link lumaByte} and
 * {@link chromaBytes} together, for solid colours such as test-pattern bars.
 */
export function rgbToYcbcr(r: number, g: number, b: number): [number, number, number] {
  return [lumaByte(r, g, b), ...chromaBytes(r, g, b)];
}

/**
 * The inverse matrix per code value, for fixed-point or table forms of {@link yuvToRgb}:
 * R' = y·(Y'-16) + crR·(Cr-128), G' = y·(Y'-16) + cbG·(Cb-128) + crG·(Cr-128),
 * B' = y·(Y'-16) + cbB·(Cb-128), each in 0..255 before clamping.
 */
export const YCBCR_TO_RGB: Readonly<{
  y: number;
  crR: number;
  cbG: number;
  crG: number;
  cbB: number;
}> = Object.freeze({
  y: 255 / 219,
  crR: (255 / 224) * 2 * (1 - KR),
  cbG: (-(255 / 224) * 2 * (1 - KB) * KB) / KG,
  crG: (-(255 / 224) * 2 * (1 - KR) * KR) / KG,
  cbB: (255 / 224) * 2 * (1 - KB),
});

/** Inverse: R'G'B' bytes of one Y', Cb, Cr sample (used by RFB ZRLE/Raw and tests). */
export function yuvToRgb(y: number, cb: number, cr: number): [number, number, number] {
  const ey = (y - 16) / 219;
  const ecb = (cb - 128) / 224;
  const ecr = (cr - 128) / 224;
  const r = ey + 2 * (1 - KR) * ecr;
  const b = ey + 2 * (1 - KB) * ecb;
  const g = (ey - KR * r - KB * b) / KG;
  return [clampByte(r * 255), clampByte(g * 255), clampByte(b * 255)];
}

function clampByte(v: number): number {
  return Math.min(255, Math.max(0, Math.floor(v + 0.5)));
}

/**
 * CPU reference conversion of a tightly packed RGBA8 picture to NV12 (same maths as the GPU pass).
 * @param rgba `width * height * 4` bytes, row-major, top row first.
 * @returns `nv12Size(pitch, height)` bytes; padding bytes are 0.
 */
export function rgbaToNv12(
  rgba: Uint8Array,
  width: number,
  height: number,
  pitch = nv12Pitch(width),
): Uint8Array {
  if (width % 2 || height % 2) throw new Error(`NV12 needs an even size, got ${width}x${height}`);
  if (rgba.length < width * height * 4)
    throw new Error(`RGBA buffer too small for ${width}x${height}`);
  const out = new Uint8Array(nv12Size(pitch, height));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      out[y * pitch + x] = lumaByte(rgba[i]!, rgba[i + 1]!, rgba[i + 2]!);
    }
  }
  const uv = pitch * height;
  for (let y = 0; y < height; y += 2) {
    for (let x = 0; x < width; x += 2) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (const [dx, dy] of [
        [0, 0],
        [1, 0],
        [0, 1],
        [1, 1],
      ] as const) {
        const i = ((y + dy) * width + x + dx) * 4;
        r += rgba[i]!;
        g += rgba[i + 1]!;
        b += rgba[i + 2]!;
      }
      const [cb, cr] = chromaBytes(r / 4, g / 4, b / 4);
      out[uv + (y / 2) * pitch + x] = cb;
      out[uv + (y / 2) * pitch + x + 1] = cr;
    }
  }
  return out;
}
