/**
 * Deterministic NV12 test frames (BT.709 limited range) and helpers to compare decoded video
 * with them. Frame `index` always yields the same bytes, so tests can regenerate the source of
 * any decoded frame.
 *
 * The picture: a horizontal luma ramp with a vertical chroma ramp as background; 75% colour bars
 * (white, yellow, cyan, green, magenta, red, blue, black) across the top third; a white square
 * moving right by `speed` px per frame; a diagonal stripe pattern scrolling in the bottom third;
 * optional pseudo-random texture (`noise`) to make the content hard to compress.
 */
import { nv12Pitch, rgbToYcbcr } from '../convert/bt709.ts';
import type { Nv12Frame } from '../engine/contracts.ts';

/** Options of {@link makeTestFrame}. */
export interface TestFrameOptions {
  /** Pixels; even. */
  width: number;
  height: number;
  /** Frame number: sets the motion and `id`. */
  index: number;
  /** Bytes per row of both planes; default: width rounded up to a multiple of 256. */
  pitch?: number;
  /** Frames per second, for `ptsMs` (= index * 1000 / fps); default 30. */
  fps?: number;
  /** Amplitude (0..64, luma code values) of a deterministic per-pixel texture; default 0. */
  noise?: number;
  /** Horizontal motion of the square in px per frame; default 4. */
  speed?: number;
}

/**
 * The 75% colour bars (white, yellow, cyan, green, magenta, red, blue, black), left to right, as
 * RGB 0..255: the bars of this test pattern, of the RFB test source (e2e/support/rfb-source.ts)
 * and of ffmpeg's `smptebars`.
 */
export const TEST_BARS_RGB: ReadonlyArray<readonly [number, number, number]> = [
  [191, 191, 191],
  [191, 191, 0],
  [0, 191, 191],
  [0, 191, 0],
  [191, 0, 191],
  [191, 0, 0],
  [0, 0, 191],
  [0, 0, 0],
];

const BARS_YUV = TEST_BARS_RGB.map(([r, g, b]) => rgbToYcbcr(r, g, b));

/** A small integer hash → 0..255, deterministic across platforms. */
function hash(x: number, y: number, t: number): number {
  let h = Math.imul(x, 0x27d4eb2d) ^ Math.imul(y, 0x165667b1) ^ Math.imul(t, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h ^= h >>> 13;
  return h & 0xff;
}

/**
 * Renders frame `index` of the test pattern as NV12.
 * @throws RangeError for odd or non-positive sizes or a pitch < width.
 */
export function makeTestFrame(options: TestFrameOptions): Nv12Frame {
  const { width, height, index } = options;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new RangeError(`makeTestFrame: bad size ${width}x${height}`);
  }
  if (width % 2 || height % 2) throw new RangeError('makeTestFrame: width and height must be even');
  const pitch = options.pitch ?? nv12Pitch(width);
  if (pitch < width) throw new RangeError(`makeTestFrame: pitch ${pitch} < width ${width}`);
  const fps = options.fps ?? 30;
  const noise = options.noise ?? 0;
  const speed = options.speed ?? 4;
  const data = new Uint8Array((pitch * height * 3) / 2);
  const uvBase = pitch * height;
  const barsBottom = Math.floor(height / 3);
  const stripesTop = Math.floor((height * 2) / 3);
  const sq = Math.max(8, Math.floor(height / 6)) & ~1;
  const sqX = (index * speed) % Math.max(1, width - sq);
  const sqY = Math.floor(height / 2 - sq / 2) & ~1;
  const barW = width / 8;

  for (let y = 0; y < height; y++) {
    const row = y * pitch;
    for (let x = 0; x < width; x++) {
      let v: number;
      if (y < barsBottom) {
        v = BARS_YUV[Math.min(7, Math.floor(x / barW))]![0];
      } else if (y >= stripesTop) {
        v = ((x + y + index * 2) >> 3) & 1 ? 180 : 60;
      } else {
        v = 16 + Math.floor((219 * x) / width);
      }
      if (x >= sqX && x < sqX + sq && y >= sqY && y < sqY + sq) v = 235;
      if (noise > 0) v += ((hash(x, y, index) * noise) >> 8) - (noise >> 1);
      data[row + x] = v < 16 ? 16 : v > 235 ? 235 : v;
    }
  }
  for (let cy = 0; cy < height / 2; cy++) {
    const y = cy * 2;
    const row = uvBase + cy * pitch;
    for (let cx = 0; cx < width / 2; cx++) {
      const x = cx * 2;
      let cb: number, cr: number;
      if (y < barsBottom) {
        const bar = BARS_YUV[Math.min(7, Math.floor(x / barW))]!;
        cb = bar[1];
        cr = bar[2];
      } else if (y >= stripesTop) {
        cb = 128;
        cr = 128;
      } else {
        cb = 64 + Math.floor((128 * y) / height);
        cr = 192 - Math.floor((128 * y) / height);
      }
      if (x >= sqX && x < sqX + sq && y >= sqY && y < sqY + sq) {
        cb = 128;
        cr = 128;
      }
      data[row + 2 * cx] = cb;
      data[row + 2 * cx + 1] = cr;
    }
  }
  return { id: index, width, height, pitch, data, ptsMs: Math.round((index * 1000) / fps) };
}

/**
 * Packs an NV12 frame into planar I420 (yuv420p: Y, then U, then V, no padding), the layout
 * `ffmpeg -f rawvideo -pix_fmt yuv420p` writes.
 */
export function nv12ToI420(frame: Nv12Frame): Uint8Array {
  const { width: w, height: h, pitch, data } = frame;
  const out = new Uint8Array((w * h * 3) / 2);
  for (let y = 0; y < h; y++) out.set(data.subarray(y * pitch, y * pitch + w), y * w);
  const u = w * h;
  const v = u + (w / 2) * (h / 2);
  for (let cy = 0; cy < h / 2; cy++) {
    const src = pitch * h + cy * pitch;
    for (let cx = 0; cx < w / 2; cx++) {
      out[u + cy * (w / 2) + cx] = data[src + 2 * cx]!;
      out[v + cy * (w / 2) + cx] = data[src + 2 * cx + 1]!;
    }
  }
  return out;
}

/** Sum of squared differences and sample count of two equally long byte ranges. */
export function sumSquaredError(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length)
    throw new RangeError(`sumSquaredError: ${a.length} vs ${b.length} bytes`);
  let sse = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    sse += d * d;
  }
  return sse;
}

/** PSNR in dB of a mean squared error for 8-bit samples (Infinity when mse is 0). */
export function psnrFromMse(mse: number): number {
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}
