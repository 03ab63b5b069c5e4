/**
 * Test support for the RFB tests (not product code): the client pixel formats they exercise
 * besides the server's default, and a logger that records why clients were closed.
 */
import type { RfbLogger } from './connection.ts';
import { DEFAULT_PIXEL_FORMAT, type PixelFormat } from './pixel-format.ts';

/**
 * An {@link RfbLogger} that appends the JSON of every `rfb client closed` record (info or warn)
 * to `reasons` and drops everything else.
 */
export function closeReasonLog(reasons: string[]): RfbLogger {
  const record = (o: object, m: string): void => {
    if (m === 'rfb client closed') reasons.push(JSON.stringify(o));
  };
  return { info: record, warn: record, debug() {} };
}

/** {@link DEFAULT_PIXEL_FORMAT} with the fields of `over` replaced. */
export const pixelFormat = (over: Partial<PixelFormat>): PixelFormat => ({
  ...DEFAULT_PIXEL_FORMAT,
  ...over,
});

/** 16 bpp RGB 5:6:5, little-endian. */
export const RGB565_LE: PixelFormat = pixelFormat({
  bitsPerPixel: 16,
  depth: 16,
  redMax: 31,
  greenMax: 63,
  blueMax: 31,
  redShift: 11,
  greenShift: 5,
  blueShift: 0,
});

/** 16 bpp RGB 5:6:5, big-endian. */
export const RGB565_BE: PixelFormat = { ...RGB565_LE, bigEndian: true };

/** 8 bpp BGR 2:3:3 (red in the low bits). */
export const BGR233: PixelFormat = pixelFormat({
  bitsPerPixel: 8,
  depth: 8,
  redMax: 7,
  greenMax: 7,
  blueMax: 3,
  redShift: 0,
  greenShift: 3,
  blueShift: 6,
});
