/**
 * e2e (issue 5): Debian's `vncsnapshot` (RFB 3.3, a real classic viewer) takes a JPEG of the
 * test pattern over TCP through ZRLE and through Raw; its bars match within ±16 per channel.
 * Also: VNC authentication with a `vncpasswd` file, and a wrong password refused.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import jpeg from 'jpeg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RfbServer } from '../main/outputs/rfb/server.ts';
import { vncPasswdFile } from '../main/outputs/rfb/vnc-auth.ts';
import { closeReasonLog } from '../main/outputs/rfb/test-support.ts';
import { TestPatternSource, worstBarError as barError } from './support/rfb-source.ts';

const run = promisify(execFile);
const W = 640;
const H = 360;
const PASSWORD = 'snapshot';

let source: TestPatternSource;
let open: RfbServer;
let locked: RfbServer;
let openPort = 0;
let lockedPort = 0;
let dir: string;
const closeReasons: string[] = [];
const log = closeReasonLog(closeReasons);

beforeAll(async () => {
  source = new TestPatternSource({ width: W, height: H, fps: 30 });
  await source.start();
  open = new RfbServer({ source, log });
  locked = new RfbServer({ source, log, password: PASSWORD });
  openPort = (await open.listen('127.0.0.1', 0)).port;
  lockedPort = (await locked.listen('127.0.0.1', 0)).port;
  dir = mkdtempSync(join(tmpdir(), 'zerocast-vncsnapshot-'));
});

afterAll(async () => {
  await open?.close();
  await locked?.close();
  source?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function snapshot(port: number, encoding: string, extra: string[] = []): Promise<string> {
  const file = join(dir, `snap-${encoding}-${port}-${extra.length}.jpg`);
  await run(
    'vncsnapshot',
    ['-allowblank', '-quality', '95', '-encodings', encoding, ...extra, `127.0.0.1::${port}`, file],
    { timeout: 30_000 },
  );
  return file;
}

/**
 * vncsnapshot writes an Adobe JPEG whose APP14 transform flag is 0 (components are R, G, B, not
 * YCbCr); jpeg-js ignores that flag for 3-component images, so it is honoured here.
 */
function adobeRgb(buf: Buffer): boolean {
  const at = buf.indexOf('Adobe');
  return at > 0 && at < 64 && buf[at + 11] === 0;
}

function worstBarError(file: string): number {
  const buf = readFileSync(file);
  const img = jpeg.decode(buf, {
    useTArray: true,
    formatAsRGBA: true,
    colorTransform: !adobeRgb(buf),
  });
  expect([img.width, img.height]).toEqual([W, H]);
  return barError(W, H, (x, y) => img.data.subarray((y * img.width + x) * 4));
}

describe('vncsnapshot over TCP (RFB 3.3)', () => {
  it('ZRLE: the JPEG shows the bars within ±16', async () => {
    const worst = worstBarError(await snapshot(openPort, 'zrle'));
    console.log(`vncsnapshot ZRLE: worst channel error ${worst}`);
    expect(worst).toBeLessThanOrEqual(16);
  });

  it('Raw: the JPEG shows the bars within ±16', async () => {
    const worst = worstBarError(await snapshot(openPort, 'raw'));
    console.log(`vncsnapshot Raw: worst channel error ${worst}`);
    expect(worst).toBeLessThanOrEqual(16);
  });

  it('VNC authentication: a vncpasswd file with the right password works', async () => {
    const pw = join(dir, 'passwd');
    writeFileSync(pw, vncPasswdFile(PASSWORD));
    const worst = worstBarError(await snapshot(lockedPort, 'zrle', ['-passwd', pw]));
    expect(worst).toBeLessThanOrEqual(16);
  });

  it('VNC authentication: a wrong password is refused', async () => {
    const pw = join(dir, 'wrong');
    writeFileSync(pw, vncPasswdFile('not-it'));
    await expect(snapshot(lockedPort, 'zrle', ['-passwd', pw])).rejects.toThrow();
    expect(closeReasons.some((r) => r.includes('Authentication failed'))).toBe(true);
  });
});
