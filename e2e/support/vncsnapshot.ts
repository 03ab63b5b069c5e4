/**
 * Test support: Debian's `vncsnapshot` (RFB 3.3, a classic viewer without H.264) and its JPEGs.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import jpeg from 'jpeg-js';

const run = promisify(execFile);

/**
 * Takes a snapshot of the RFB server on 127.0.0.1:`port` into `file` (JPEG, quality 95).
 * @param encodings vncsnapshot's `-encodings` list, e.g. `zrle` or `raw`.
 * @throws Error when vncsnapshot fails or times out (30 s).
 */
export async function vncsnapshot(
  port: number,
  file: string,
  encodings = 'zrle',
  extra: string[] = [],
): Promise<void> {
  await run(
    'vncsnapshot',
    [
      '-allowblank',
      '-quality',
      '95',
      '-encodings',
      encodings,
      ...extra,
      `127.0.0.1::${port}`,
      file,
    ],
    {
      timeout: 30_000,
    },
  );
}

/**
 * Decodes a vncsnapshot JPEG to RGBA. vncsnapshot writes an Adobe JPEG whose APP14 transform flag
 * is 0 (components are R, G, B, not YCbCr); jpeg-js ignores that flag for 3-component images, so
 * it is honoured here.
 */
export function readSnapshot(file: string): { width: number; height: number; data: Uint8Array } {
  const buf = readFileSync(file);
  const at = buf.indexOf('Adobe');
  const adobeRgb = at > 0 && at < 64 && buf[at + 11] === 0;
  return jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, colorTransform: !adobeRgb });
}
