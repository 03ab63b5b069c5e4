/**
 * The engine end to end in Node, on the real GPU adapter (lavapipe on CPU machines) and the real
 * encoder: rendered frames → NV12 on the GPU → H.264 → a raw .h264 file checked with ffprobe and
 * decoded with ffmpeg, compared with the rendered frames (PSNR).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, Engine } from './engine.ts';
import { createLogger } from './log.ts';
import { barCenter, readCounter, TEST_PATTERN_BARS } from '../scenes/test-pattern.ts';
import { yuvToRgb } from '../convert/bt709.ts';
import type { Nv12Frame } from './contracts.ts';

const log = createLogger('engine-test');
log.level = 'warn';

/** RGB of pixel (x, y) of an NV12 frame. */
function rgbAt(frame: Nv12Frame, x: number, y: number): [number, number, number] {
  const yv = frame.data[y * frame.pitch + x]!;
  const uv = frame.pitch * frame.height + (y >> 1) * frame.pitch + (x & ~1);
  return yuvToRgb(yv, frame.data[uv]!, frame.data[uv + 1]!);
}

/** Tightly packed NV12 (no pitch padding), as ffmpeg's rawvideo nv12 expects. */
function packNv12(frame: Nv12Frame): Buffer {
  const { width, height, pitch, data } = frame;
  const out = Buffer.alloc((width * height * 3) / 2);
  for (let row = 0; row < (height * 3) / 2; row++) {
    out.set(data.subarray(row * pitch, row * pitch + width), row * width);
  }
  return out;
}

describe('engine: test pattern', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await Engine.create(
      {
        ...DEFAULT_SETTINGS,
        scene: 'test-pattern',
        width: 640,
        height: 360,
        fps: 30,
        bitrate: 2_500_000,
      },
      log,
    );
  });
  afterAll(async () => {
    await engine?.stop();
  });

  it('reports the adapter it renders on', () => {
    expect(engine.adapter.name.length).toBeGreaterThan(0);
  });

  it('converts the rendered bars to BT.709 NV12 that reads back within ±3 of the sRGB values', async () => {
    const { frame } = await engine.renderOnce();
    for (let i = 0; i < TEST_PATTERN_BARS.length; i++) {
      const [x, y] = barCenter(i, frame.width, frame.height);
      const rgb = rgbAt(frame, x, y);
      const want = TEST_PATTERN_BARS[i]!.rgb;
      for (let c = 0; c < 3; c++)
        expect(
          Math.abs(rgb[c]! - want[c]!),
          `${TEST_PATTERN_BARS[i]!.name} channel ${c}`,
        ).toBeLessThanOrEqual(3);
    }
  });

  it('draws the frame id in the counter', async () => {
    const a = await engine.renderOnce();
    const b = await engine.renderOnce();
    const read = (f: Nv12Frame) => readCounter((x, y) => rgbAt(f, x, y), f.width, f.height);
    expect(read(a.frame)).toBe(a.frame.id & 0xffff);
    expect(read(b.frame)).toBe(b.frame.id & 0xffff);
    expect(b.frame.id).toBe(a.frame.id + 1);
  });
});

describe('engine: encoded output vs rendered frames', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zerocast-engine-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes an .h264 stream that ffprobe accepts and that decodes at >= 35 dB PSNR (default bitrate)', async () => {
    const settings = { ...DEFAULT_SETTINGS };
    const engine = await Engine.create(settings, log);
    const frames: Buffer[] = [];
    const units: Uint8Array[] = [];
    const N = 48;
    try {
      for (let i = 0; i < N; i++) {
        const { frame, au } = await engine.renderOnce((i * 1000) / settings.fps);
        frames.push(packNv12(frame));
        if (au) units.push(au.data);
      }
    } finally {
      await engine.stop();
    }
    expect(units.length).toBe(N);
    const h264 = join(dir, 'out.h264');
    const raw = join(dir, 'rendered.nv12');
    writeFileSync(h264, Buffer.concat(units));
    writeFileSync(raw, Buffer.concat(frames));
    const probe = execFileSync(
      'ffprobe',
      [
        '-v',
        'error',
        '-count_frames',
        '-show_entries',
        'stream=codec_name,profile,width,height,nb_read_frames',
        '-of',
        'json',
        h264,
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const stream = JSON.parse(probe).streams[0];
    expect(stream).toMatchObject({
      codec_name: 'h264',
      width: settings.width,
      height: settings.height,
    });
    expect(Number(stream.nb_read_frames)).toBe(N);
    const errors = execFileSync('ffmpeg', ['-v', 'error', '-i', h264, '-f', 'null', '-'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(errors).toBe('');
    const psnr = spawnSync(
      'ffmpeg',
      [
        '-hide_banner',
        '-i',
        h264,
        '-f',
        'rawvideo',
        '-pix_fmt',
        'nv12',
        '-s',
        `${settings.width}x${settings.height}`,
        '-i',
        raw,
        '-lavfi',
        '[0:v][1:v]psnr',
        '-f',
        'null',
        '-',
      ],
      { encoding: 'utf8' },
    );
    const average = /PSNR .*average:([\d.]+|inf)/.exec(psnr.stderr)?.[1];
    expect(average, psnr.stderr.slice(-500)).toBeDefined();
    const db = average === 'inf' ? Infinity : Number(average);
    console.log(
      `PSNR of ${N} frames at ${settings.width}x${settings.height}, ${settings.bitrate / 1e6} Mbit/s: ${db.toFixed(2)} dB`,
    );
    expect(db).toBeGreaterThanOrEqual(35);
  }, 300_000);
});
