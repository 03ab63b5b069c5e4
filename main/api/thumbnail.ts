/**
 * Scene thumbnails: an NV12 frame (BT.709 limited range, see Nv12Frame in main/engine/contracts.ts)
 * scaled down and encoded as PNG, with no image library (node:zlib deflate + CRC-32).
 */
import { crc32, deflateSync } from 'node:zlib';
import { YCBCR_TO_RGB as K } from '../convert/bt709.ts';

/** The parts of an NV12 frame this module reads. */
export interface Nv12Image {
  readonly width: number;
  readonly height: number;
  /** Bytes per row of both planes. */
  readonly pitch: number;
  readonly data: Uint8Array;
}

/**
 * Scales `frame` to at most `maxWidth` pixels wide (keeping the aspect ratio; box filter over
 * the Y plane, nearest chroma) and converts BT.709 limited-range YCbCr to 8-bit RGB (the inverse
 * matrix of main/convert/bt709.ts).
 */
export function nv12ToRgb(
  frame: Nv12Image,
  maxWidth = 320,
): { width: number; height: number; rgb: Uint8Array } {
  const scale = Math.max(1, frame.width / maxWidth);
  const width = Math.max(1, Math.round(frame.width / scale));
  const height = Math.max(1, Math.round(frame.height / scale));
  const rgb = new Uint8Array(width * height * 3);
  const uvBase = frame.pitch * frame.height;
  const { data, pitch } = frame;
  const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));
  for (let y = 0; y < height; y++) {
    const sy0 = Math.floor(y * scale);
    const sy1 = Math.min(frame.height, Math.max(sy0 + 1, Math.floor((y + 1) * scale)));
    for (let x = 0; x < width; x++) {
      const sx0 = Math.floor(x * scale);
      const sx1 = Math.min(frame.width, Math.max(sx0 + 1, Math.floor((x + 1) * scale)));
      let sum = 0;
      let n = 0;
      for (let sy = sy0; sy < sy1; sy++) {
        for (let sx = sx0; sx < sx1; sx++) {
          sum += data[sy * pitch + sx]!;
          n++;
        }
      }
      const cy = Math.min(frame.height - 1, Math.floor((sy0 + sy1) / 2)) >> 1;
      const cx = (Math.min(frame.width - 1, Math.floor((sx0 + sx1) / 2)) >> 1) * 2;
      const yv = (sum / n - 16) * K.y;
      const cb = data[uvBase + cy * pitch + cx]! - 128;
      const cr = data[uvBase + cy * pitch + cx + 1]! - 128;
      const o = (y * width + x) * 3;
      rgb[o] = clamp(yv + K.crR * cr);
      rgb[o + 1] = clamp(yv + K.cbG * cb + K.crG * cr);
      rgb[o + 2] = clamp(yv + K.cbB * cb);
    }
  }
  return { width, height, rgb };
}

/** Encodes 8-bit RGB pixels as a PNG file. */
export function encodePng(width: number, height: number, rgb: Uint8Array): Buffer {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0; // filter: none
    raw.set(rgb.subarray(y * width * 3, (y + 1) * width * 3), y * (width * 3 + 1) + 1);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8 bits, truecolour, deflate, no filter method, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 6 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])) >>> 0, 0);
  return Buffer.concat([head, body, crc]);
}

/** An NV12 frame as a PNG thumbnail at most `maxWidth` pixels wide. */
export function nv12ToPng(frame: Nv12Image, maxWidth = 320): Buffer {
  const { width, height, rgb } = nv12ToRgb(frame, maxWidth);
  return encodePng(width, height, rgb);
}
