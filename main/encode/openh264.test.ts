// Real OpenH264 (through native/encode) checked with real ffprobe/ffmpeg: no mocks.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Nv12Frame } from '../engine/contracts.ts';
import { NalType, nalTypes, readSpsProfile, splitAnnexB } from './annexb.ts';
import { createEncoder, OpenH264Encoder, selectEncoder, type TimedAccessUnit } from './index.ts';
import { loadNativeAddon } from './native.ts';
import { makeTestFrame, nv12ToI420, psnrFromMse, sumSquaredError } from './testframes.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let dir = '';

beforeAll(() => {
  execFileSync('bash', [join(root, 'native/encode/build.sh')], { stdio: 'pipe' });
  dir = mkdtempSync(join(tmpdir(), 'zerocast-encode-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Encodes frames 0..n-1 of the test pattern, one at a time, and returns the access units. */
async function encodeFrames(
  enc: OpenH264Encoder,
  n: number,
  opts: { noise?: number; hook?: (i: number) => void } = {},
): Promise<TimedAccessUnit[]> {
  const { width, height, fps } = enc.config;
  const out: TimedAccessUnit[] = [];
  for (let i = 0; i < n; i++) {
    opts.hook?.(i);
    const au = await enc.encode(makeTestFrame({ width, height, fps, index: i, noise: opts.noise }));
    expect(au, `frame ${i} was skipped`).not.toBeNull();
    out.push(au!);
  }
  return out;
}

function concat(aus: readonly TimedAccessUnit[]): Buffer {
  return Buffer.concat(aus.map((a) => a.data));
}

describe('OpenH264 encoder (real codec, checked with ffprobe/ffmpeg)', () => {
  const W = 640;
  const H = 360;
  const N = 120;
  const FPS = 30;
  const BITRATE = 2_500_000;
  /** The encoder set-up of the conformance and PSNR tests: an IDR every 60 frames. */
  const CONFIG = { width: W, height: H, fps: FPS, bitrate: BITRATE, keyframeInterval: 60 };
  let aus: TimedAccessUnit[] = [];
  let file = '';

  it(`encodes ${N} frames of ${W}x${H} that ffprobe accepts as Constrained Baseline`, async () => {
    const enc = new OpenH264Encoder(CONFIG);
    expect(enc.name).toBe('openh264');
    aus = await encodeFrames(enc, N);
    await enc.close();
    file = join(dir, 'pattern.h264');
    writeFileSync(file, concat(aus));

    aus.forEach((au, i) => {
      expect(au.frameId).toBe(i);
      expect(au.ptsMs).toBe(Math.round((i * 1000) / FPS));
      expect([au.width, au.height]).toEqual([W, H]);
      expect(au.keyframe).toBe(i % 60 === 0);
      expect(nalTypes(au.data)).toEqual(i % 60 === 0 ? [7, 8, 5] : [1]);
      expect(au.encodeMs).toBeGreaterThan(0);
    });

    const probe = spawnSync(
      'ffprobe',
      [
        '-v',
        'error',
        '-count_frames',
        '-select_streams',
        'v:0',
        '-of',
        'json',
        '-show_entries',
        'stream=codec_name,profile,width,height,nb_read_frames,color_range,color_primaries,color_transfer,color_space',
        file,
      ],
      { encoding: 'utf8' },
    );
    expect(probe.status).toBe(0);
    expect(probe.stderr).toBe('');
    const stream = JSON.parse(probe.stdout).streams[0];
    expect(stream).toMatchObject({
      codec_name: 'h264',
      profile: 'Constrained Baseline',
      width: W,
      height: H,
      nb_read_frames: String(N),
      color_range: 'tv',
      color_primaries: 'bt709',
      color_transfer: 'bt709',
      color_space: 'bt709',
    });
  });

  it.each([
    { label: 'clean pattern', noise: 0 },
    { label: 'textured pattern (noise 6, uses the whole bitrate)', noise: 6 },
  ])('decodes with ffmpeg to frames with PSNR >= 35 dB: $label', async ({ label, noise }) => {
    expect(file).not.toBe('');
    let file2 = file;
    let aus2 = aus;
    if (noise > 0) {
      const enc = new OpenH264Encoder(CONFIG);
      aus2 = await encodeFrames(enc, N, { noise });
      await enc.close();
      file2 = join(dir, `pattern-noise${noise}.h264`);
      writeFileSync(file2, concat(aus2));
    }
    const decoded = execFileSync(
      'ffmpeg',
      ['-v', 'error', '-i', file2, '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-'],
      { maxBuffer: 1 << 30 },
    );
    const frameBytes = (W * H * 3) / 2;
    expect(decoded.length).toBe(frameBytes * N);
    const source = Buffer.alloc(frameBytes * N);
    let sseAll = 0;
    let sseY = 0;
    let worst = Infinity;
    for (let i = 0; i < N; i++) {
      const src = nv12ToI420(makeTestFrame({ width: W, height: H, fps: FPS, index: i, noise }));
      source.set(src, i * frameBytes);
      const dec = decoded.subarray(i * frameBytes, (i + 1) * frameBytes);
      const all = sumSquaredError(src, dec);
      sseAll += all;
      sseY += sumSquaredError(src.subarray(0, W * H), dec.subarray(0, W * H));
      worst = Math.min(worst, psnrFromMse(all / frameBytes));
    }
    const psnr = psnrFromMse(sseAll / (frameBytes * N));
    const psnrY = psnrFromMse(sseY / (W * H * N));

    // Cross-check with ffmpeg's own psnr filter.
    const srcFile = join(dir, 'source.yuv');
    writeFileSync(srcFile, source);
    const filter = spawnSync(
      'ffmpeg',
      [
        '-v',
        'info',
        '-nostats',
        '-i',
        file2,
        '-f',
        'rawvideo',
        '-pix_fmt',
        'yuv420p',
        '-s',
        `${W}x${H}`,
        '-i',
        srcFile,
        '-lavfi',
        '[0:v][1:v]psnr',
        '-f',
        'null',
        '-',
      ],
      { encoding: 'utf8' },
    );
    const m = /PSNR y:([\d.]+) u:([\d.]+) v:([\d.]+) average:([\d.]+)/.exec(filter.stderr);
    expect(m, filter.stderr.slice(-500)).not.toBeNull();
    const ffAverage = Number(m![4]);
    const kbps = (concat(aus2).length * 8 * FPS) / N / 1000;
    console.log(
      `PSNR ${label}, ${W}x${H} @ ${BITRATE / 1e6} Mbit/s target (${kbps.toFixed(0)} kbit/s actual): ` +
        `YUV ${psnr.toFixed(2)} dB, Y ${psnrY.toFixed(2)} dB, worst frame ${worst.toFixed(2)} dB; ` +
        `ffmpeg psnr filter y:${m![1]} u:${m![2]} v:${m![3]} average:${m![4]}`,
    );
    expect(psnr).toBeGreaterThanOrEqual(35);
    expect(psnrY).toBeGreaterThanOrEqual(35);
    expect(ffAverage).toBeGreaterThanOrEqual(35);
    expect(Math.abs(ffAverage - psnr)).toBeLessThan(1); // both measure the same thing
  });

  it('starts with SPS+PPS+IDR and answers requestKeyframe() with another one', async () => {
    const enc = new OpenH264Encoder({
      width: W,
      height: H,
      fps: FPS,
      bitrate: BITRATE,
      keyframeInterval: 0,
    });
    const forced = new Set([10, 25, 26]);
    const got = await encodeFrames(enc, 40, {
      hook: (i) => forced.has(i) && enc.requestKeyframe(),
    });
    await enc.close();
    got.forEach((au, i) => {
      const types = nalTypes(au.data);
      if (i === 0 || forced.has(i)) {
        expect(types, `frame ${i}`).toEqual([NalType.Sps, NalType.Pps, NalType.IdrSlice]);
        expect(au.keyframe).toBe(true);
      } else {
        expect(types, `frame ${i}`).toEqual([NalType.Slice]);
        expect(au.keyframe).toBe(false);
      }
    });
    const sps = readSpsProfile(splitAnnexB(got[0]!.data)[0]!.data);
    expect(sps.constrainedBaseline).toBe(true);
    expect(sps.levelIdc).toBe(30); // 640x360@30: 920 MBs, 27600 MB/s → level 3.0 (Table A-1)
  });

  it('setBitrate() lowers the output bytes live (6 → 1 Mbit/s)', async () => {
    const enc = new OpenH264Encoder({
      width: W,
      height: H,
      fps: FPS,
      bitrate: 6_000_000,
      keyframeInterval: 0,
    });
    const got = await encodeFrames(enc, 120, {
      noise: 8, // texture the encoder cannot squeeze under 6 Mbit/s
      hook: (i) => i === 60 && enc.setBitrate(1_000_000),
    });
    expect(enc.config.bitrate).toBe(1_000_000);
    await enc.close();
    const bytes = (from: number, to: number): number =>
      got.slice(from, to).reduce((s, au) => s + au.data.length, 0);
    const high = bytes(10, 60); // skip the IDR and rate control's start
    const low = bytes(70, 120); // skip rate control's first reaction
    const ratio = low / high;
    console.log(
      `setBitrate: ${((((high * 8) / 50) * FPS) / 1e6).toFixed(2)} Mbit/s before, ` +
        `${((((low * 8) / 50) * FPS) / 1e6).toFixed(2)} Mbit/s after, ratio ${ratio.toFixed(3)}`,
    );
    expect((high * 8 * FPS) / 50).toBeGreaterThan(4_000_000); // the content really used ~6 Mbit/s
    expect(ratio).toBeGreaterThan(0.08);
    expect(ratio).toBeLessThan(0.3); // ideal 1/6 ≈ 0.167
  });

  it.each([30, 120, 240])(
    'keeps the bitrate at the target per second at %i fps (rate control above 60 fps)',
    async (fps) => {
      const target = 1_500_000;
      const enc = new OpenH264Encoder({
        width: W,
        height: H,
        fps,
        bitrate: target,
        keyframeInterval: 0,
      });
      const got = await encodeFrames(enc, 90, { noise: 8 });
      await enc.close();
      const bytes = got.slice(30).reduce((s, au) => s + au.data.length, 0); // after rate control settles
      const bps = (bytes * 8 * fps) / 60;
      console.log(
        `${fps} fps: ${(bps / 1e6).toFixed(2)} Mbit/s for a ${target / 1e6} Mbit/s target`,
      );
      expect(bps / target).toBeGreaterThan(0.7);
      expect(bps / target).toBeLessThan(1.3);
    },
  );

  it('encodes on its own native thread while the JS event loop keeps running', async () => {
    const FW = 1920;
    const FH = 1080;
    const enc = new OpenH264Encoder({
      width: FW,
      height: FH,
      fps: 30,
      bitrate: 6_000_000,
      keyframeInterval: 0,
    });
    const frames: Nv12Frame[] = [];
    for (let i = 0; i < 12; i++)
      frames.push(makeTestFrame({ width: FW, height: FH, index: i, noise: 8 }));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 2);
    const t0 = performance.now();
    const pending = frames.map((f) => enc.encode(f)); // all queued at once
    const syncMs = performance.now() - t0; // JS-thread time: validation + copies only
    const ticksAtSubmit = ticks;
    const results = await Promise.all(pending);
    clearInterval(timer);
    await enc.close();
    const encodeMs = results.reduce((s, au) => s + au!.encodeMs, 0);
    console.log(
      `1080p batch: ${encodeMs.toFixed(0)} ms encoding on the worker, ${syncMs.toFixed(1)} ms on ` +
        `the JS thread, ${ticks} timer ticks meanwhile`,
    );
    const jsThread = loadNativeAddon().currentThreadId();
    for (const au of results) {
      expect(au!.workerThreadId).toBeGreaterThan(0);
      expect(au!.workerThreadId).not.toBe(jsThread);
    }
    expect(ticksAtSubmit).toBe(0); // submitting did not yield: no encoding happened in between
    expect(ticks).toBeGreaterThanOrEqual(3); // the loop ran while the worker encoded
  });

  it('lets the caller reuse its buffer as soon as encode() returns', async () => {
    const cfg = { width: 320, height: 180, fps: 30, bitrate: 800_000, keyframeInterval: 0 };
    const a = new OpenH264Encoder(cfg);
    const b = new OpenH264Encoder(cfg);
    const ref: Promise<TimedAccessUnit | null>[] = [];
    const scribbled: Promise<TimedAccessUnit | null>[] = [];
    const shared = makeTestFrame({ ...cfg, index: 0 });
    for (let i = 0; i < 10; i++) {
      const f = makeTestFrame({ ...cfg, index: i });
      ref.push(a.encode(f));
      shared.data.set(f.data);
      scribbled.push(b.encode({ ...f, data: shared.data }));
      shared.data.fill(0); // overwritten before the worker ran
    }
    const ra = await Promise.all(ref);
    const rb = await Promise.all(scribbled);
    await Promise.all([a.close(), b.close()]);
    for (let i = 0; i < 10; i++)
      expect(Buffer.from(rb[i]!.data).equals(Buffer.from(ra[i]!.data))).toBe(true);
  });

  it('rejects bad input with a clear Error and keeps encoding valid frames', async () => {
    const cfg = { width: 320, height: 180, fps: 30, bitrate: 800_000, keyframeInterval: 0 };
    const enc = new OpenH264Encoder(cfg);
    const good = makeTestFrame({ ...cfg, index: 0 });
    expect(await enc.encode(good)).not.toBeNull();

    const wrongSize = makeTestFrame({ width: 640, height: 360, index: 1 });
    expect(() => enc.encode(wrongSize)).toThrow(
      /640x360 pixels but the encoder is configured for 320x180/,
    );
    expect(() => enc.encode({ ...good, pitch: 300 })).toThrow(RangeError);
    expect(() => enc.encode({ ...good, pitch: 300 })).toThrow(
      /pitch 300 must be an integer >= width \(320/,
    );
    expect(() => enc.encode({ ...good, data: good.data.subarray(0, 1000) })).toThrow(
      /NV12 data is 1000 bytes, need at least 138240 \(pitch 512 x height 180 x 1\.5\)/,
    );
    expect(() => enc.setBitrate(-5)).toThrow(RangeError);

    const after = await enc.encode(makeTestFrame({ ...cfg, index: 1 }));
    expect(after).not.toBeNull();
    expect(nalTypes(after!.data)).toEqual([NalType.Slice]);

    // Frames still queued when close() is called reject; close() is idempotent.
    // Frames are made first and queued back to back, 24 of them: with six frames made between
    // encode() calls the worker could drain the queue before close() on a loaded machine.
    const frames = Array.from({ length: 24 }, (_, i) => makeTestFrame({ ...cfg, index: i + 2 }));
    const queued = frames.map((f) => enc.encode(f));
    const closing = enc.close();
    expect(enc.close()).toBe(closing);
    const settled = await Promise.allSettled(queued);
    await closing;
    for (const s of settled) {
      if (s.status === 'rejected')
        expect(String(s.reason)).toMatch(/closed before this frame was encoded/);
    }
    expect(settled.some((s) => s.status === 'rejected')).toBe(true);
    expect(() => enc.encode(good)).toThrow(/encoder is closed/);
    expect(() => enc.requestKeyframe()).toThrow(/encoder is closed/);

    // A fresh encoder after all that works.
    const again = createEncoder(cfg);
    expect(await again.encode(good)).not.toBeNull();
    await again.close();
  });

  it('rejects invalid configs before touching the codec', () => {
    const base = { width: 640, height: 360, fps: 30, bitrate: 2_500_000, keyframeInterval: 60 };
    expect(() => createEncoder({ ...base, width: 641 })).toThrow(/even integers/);
    expect(() => createEncoder({ ...base, fps: 0 })).toThrow(/fps/);
    expect(() => createEncoder({ ...base, bitrate: 5 })).toThrow(/bitrate/);
    expect(() => createEncoder({ ...base, keyframeInterval: -1 })).toThrow(/keyframeInterval/);
  });

  it('reports the chain it walked', async () => {
    const { encoder, chain } = selectEncoder({
      width: 320,
      height: 180,
      fps: 30,
      bitrate: 800_000,
      keyframeInterval: 0,
    });
    expect(chain).toEqual([{ name: 'openh264', ok: true }]);
    expect(encoder.name).toBe('openh264');
    await encoder.close();
  });

  it('names the package to install when OpenH264 cannot be loaded (addon still loads)', () => {
    const script = `
      import { selectEncoder } from ${JSON.stringify(join(root, 'main/encode/index.ts'))};
      import { loadNativeAddon } from ${JSON.stringify(join(root, 'main/encode/native.ts'))};
      const addon = loadNativeAddon();
      console.log('names=' + addon.encoderNames().join(','));
      try { selectEncoder({ width: 320, height: 180, fps: 30, bitrate: 800000, keyframeInterval: 0 }); }
      catch (e) { console.log('error=' + e.name + ': ' + e.message); }`;
    const r = spawnSync(
      join(root, 'node_modules/.bin/tsx'),
      ['--input-type=module', '-e', script],
      {
        encoding: 'utf8',
        env: { ...process.env, ZEROCAST_OPENH264_LIBRARY: '/nonexistent/libopenh264.so.7' },
      },
    );
    expect(r.stdout, r.stderr).toContain('names=openh264');
    expect(r.stdout).toMatch(
      /error=NoEncoderError: no H.264 encoder available: openh264: OpenH264 is not installed/,
    );
    expect(r.stdout).toContain('install the Debian/Ubuntu package libopenh264-7');
  });

  it('picks the H.264 level from size, rate and bitrate (Table A-1)', () => {
    const { chooseLevel } = loadNativeAddon();
    expect(chooseLevel(640, 360, 30, 2_500_000)).toBe(30);
    expect(chooseLevel(1280, 720, 30, 6_000_000)).toBe(31);
    expect(chooseLevel(1280, 720, 60, 6_000_000)).toBe(32);
    expect(chooseLevel(1920, 1080, 30, 8_000_000)).toBe(40);
    expect(chooseLevel(1920, 1080, 60, 8_000_000)).toBe(42);
    expect(chooseLevel(1280, 720, 30, 16_000_000)).toBe(32); // MaxBR of 3.1 is 14 Mbit/s
  });
});
