/**
 * Encoder benchmark: `npx tsx bench/encode.bench.ts [frames]`.
 *
 * For 640x360, 1280x720 and 1920x1080 it encodes the textured test pattern (main/encode/testframes,
 * noise 4) one frame at a time and prints the median and p99 of the worker-thread encode time
 * (de-interleave + encode, ms), of the round trip seen by JS (encode() call → promise resolved,
 * ms), the JS-thread cost of the encode() call (validation + copy, ms), the sustained fps of that one-at-a-time loop, and the achieved bitrate.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Nv12Frame } from '../main/engine/contracts.ts';
import { selectEncoder, type TimedAccessUnit } from '../main/encode/index.ts';
import { makeTestFrame } from '../main/encode/testframes.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const FRAMES = Number(process.argv[2] ?? 150);
const WARMUP = 10;
const DISTINCT = 30; // frames generated up front and cycled (generation is slow JS code)
const FPS = 60;

const SIZES = [
  { width: 640, height: 360, bitrate: 2_500_000 },
  { width: 1280, height: 720, bitrate: 6_000_000 },
  { width: 1920, height: 1080, bitrate: 10_000_000 },
];

/** The q-quantile (0..1) of `values` (nearest rank). */
function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

async function run(): Promise<void> {
  execFileSync('bash', [join(root, 'native/encode/build.sh')], { stdio: 'pipe' });
  console.log(
    `encode benchmark: ${FRAMES} frames per size after ${WARMUP} warm-up frames, one in flight`,
  );
  const rows: string[] = [];
  for (const { width, height, bitrate } of SIZES) {
    const { encoder, chain } = selectEncoder({
      width,
      height,
      fps: FPS,
      bitrate,
      keyframeInterval: 120,
    });
    const frames: Nv12Frame[] = [];
    for (let i = 0; i < DISTINCT; i++)
      frames.push(makeTestFrame({ width, height, index: i, noise: 4 }));
    const encodeMs: number[] = [];
    const roundTripMs: number[] = [];
    const submitMs: number[] = [];
    let bytes = 0;
    let t0 = 0;
    for (let i = 0; i < WARMUP + FRAMES; i++) {
      if (i === WARMUP) t0 = performance.now();
      const src = frames[i % DISTINCT]!;
      const frame = { ...src, id: i, ptsMs: Math.round((i * 1000) / FPS) };
      const start = performance.now();
      const pending = encoder.encode(frame);
      const submit = performance.now() - start;
      const au = (await pending) as TimedAccessUnit | null;
      const rt = performance.now() - start;
      if (i >= WARMUP && au) {
        encodeMs.push(au.encodeMs);
        roundTripMs.push(rt);
        submitMs.push(submit);
        bytes += au.data.length;
      }
    }
    const wall = (performance.now() - t0) / 1000;
    await encoder.close();
    rows.push(
      [
        `${width}x${height}`.padEnd(10),
        chain.find((c) => c.ok)!.name.padEnd(9),
        quantile(encodeMs, 0.5).toFixed(2).padStart(7),
        quantile(encodeMs, 0.99).toFixed(2).padStart(7),
        quantile(roundTripMs, 0.5).toFixed(2).padStart(7),
        quantile(roundTripMs, 0.99).toFixed(2).padStart(7),
        quantile(submitMs, 0.5).toFixed(2).padStart(6),
        (FRAMES / wall).toFixed(1).padStart(7),
        ((bytes * 8 * FPS) / encodeMs.length / 1e6).toFixed(2).padStart(6) +
          ` (target ${bitrate / 1e6})`,
      ].join(' '),
    );
  }
  console.log('size       encoder   enc p50 enc p99  rt p50  rt p99 js p50     fps Mbit/s @60fps');
  for (const r of rows) console.log(r);
}

await run();
