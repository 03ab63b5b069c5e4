/**
 * Image comparison for the conformance suite: PSNR and SSIM (implemented here, no dependency),
 * a difference image, and PNG read/write through pngjs.
 */
import { PNG } from 'pngjs';

/** An RGBA8 image, rows top-down, tightly packed. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * Peak signal-to-noise ratio in dB over the R, G and B channels (alpha ignored):
 * 10·log10(255² / MSE). Identical images give Infinity.
 * @throws RangeError when the sizes differ.
 */
export function psnr(a: RgbaImage, b: RgbaImage): number {
  sameSize(a, b);
  let se = 0;
  const n = a.width * a.height;
  for (let i = 0; i < n * 4; i += 4) {
    for (let c = 0; c < 3; c++) {
      const d = a.data[i + c]! - b.data[i + c]!;
      se += d * d;
    }
  }
  const mse = se / (n * 3);
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}

function luma(img: RgbaImage): Float64Array {
  const out = new Float64Array(img.width * img.height);
  for (let i = 0; i < out.length; i++) {
    const j = i * 4;
    out[i] = 0.299 * img.data[j]! + 0.587 * img.data[j + 1]! + 0.114 * img.data[j + 2]!;
  }
  return out;
}

/**
 * Mean structural similarity (Wang et al. 2004) of the luma (BT.601 weights) over 8x8 windows
 * stepped by 4 pixels, with K1 = 0.01, K2 = 0.03, L = 255. 1 means identical.
 * @throws RangeError when the sizes differ or the images are smaller than 8x8.
 */
export function ssim(a: RgbaImage, b: RgbaImage): number {
  sameSize(a, b);
  const { width: w, height: h } = a;
  if (w < 8 || h < 8) throw new RangeError('ssim needs at least 8x8 pixels');
  const x = luma(a);
  const y = luma(b);
  const c1 = (0.01 * 255) ** 2;
  const c2 = (0.03 * 255) ** 2;
  const win = 8;
  let sum = 0;
  let count = 0;
  for (let oy = 0; oy + win <= h; oy += 4) {
    for (let ox = 0; ox + win <= w; ox += 4) {
      let mx = 0;
      let my = 0;
      for (let j = 0; j < win; j++) {
        for (let i = 0; i < win; i++) {
          const k = (oy + j) * w + ox + i;
          mx += x[k]!;
          my += y[k]!;
        }
      }
      const n = win * win;
      mx /= n;
      my /= n;
      let vx = 0;
      let vy = 0;
      let cxy = 0;
      for (let j = 0; j < win; j++) {
        for (let i = 0; i < win; i++) {
          const k = (oy + j) * w + ox + i;
          const dx = x[k]! - mx;
          const dy = y[k]! - my;
          vx += dx * dx;
          vy += dy * dy;
          cxy += dx * dy;
        }
      }
      vx /= n - 1;
      vy /= n - 1;
      cxy /= n - 1;
      sum += ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
      count++;
    }
  }
  return sum / count;
}

/**
 * A difference image: per pixel the largest absolute RGB difference, amplified ×4, as grey on
 * black with red where it exceeds 32 — errors stand out even when small.
 */
export function diffImage(a: RgbaImage, b: RgbaImage): RgbaImage {
  sameSize(a, b);
  const out = new Uint8Array(a.data.length);
  for (let i = 0; i < out.length; i += 4) {
    let m = 0;
    for (let c = 0; c < 3; c++) m = Math.max(m, Math.abs(a.data[i + c]! - b.data[i + c]!));
    const v = Math.min(255, m * 4);
    out[i] = m > 32 ? 255 : v;
    out[i + 1] = m > 32 ? 0 : v;
    out[i + 2] = m > 32 ? 0 : v;
    out[i + 3] = 255;
  }
  return { width: a.width, height: a.height, data: out };
}

/** Encodes an RGBA image as PNG bytes. */
export function encodePng(img: RgbaImage): Buffer {
  const png = new PNG({ width: img.width, height: img.height });
  Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength).copy(png.data);
  return PNG.sync.write(png);
}

/** Decodes PNG bytes to an RGBA image. */
export function decodePng(bytes: Uint8Array): RgbaImage {
  const png = PNG.sync.read(Buffer.from(bytes));
  return { width: png.width, height: png.height, data: new Uint8Array(png.data) };
}

/** Scores of one scene and whether it passes (PSNR ≥ 30 dB or SSIM ≥ 0.97). */
export interface SceneScore {
  name: string;
  psnr: number;
  ssim: number;
  pass: boolean;
}

/** The suite's thresholds: a scene passes when either is met. */
export const THRESHOLDS = { psnr: 30, ssim: 0.97 } as const;

/** Scores `ours` against `reference`. */
export function score(name: string, ours: RgbaImage, reference: RgbaImage): SceneScore {
  const p = psnr(ours, reference);
  const s = ssim(ours, reference);
  return { name, psnr: p, ssim: s, pass: p >= THRESHOLDS.psnr || s >= THRESHOLDS.ssim };
}

/** One printed line per scene: `PASS name  PSNR 41.20 dB  SSIM 0.9931`. */
export function formatScore(s: SceneScore): string {
  const p = Number.isFinite(s.psnr) ? s.psnr.toFixed(2).padStart(6) : '   inf';
  return `${s.pass ? 'PASS' : 'FAIL'} ${s.name.padEnd(24)} PSNR ${p} dB  SSIM ${s.ssim.toFixed(4)}`;
}

function sameSize(a: RgbaImage, b: RgbaImage): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new RangeError(`size mismatch: ${a.width}x${a.height} vs ${b.width}x${b.height}`);
  }
}
