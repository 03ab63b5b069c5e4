/**
 * Leak benchmark (a benchmark, not a timed test): streams LEAK_FRAMES (default 10,000) frames of the
 * heaviest built-in scene through the engine's own frame loop, flat out (frame-rate target above
 * what the machine does, so the loop never idles), with an output subscribed, and prints process RSS,
 * V8 heap and wgpu's allocated GPU memory (`device.zerocastMemoryReport()`, non-standard: wgpu's
 * allocator report) at the start (after a 200-frame warm-up), every 1,000 frames, and at the end.
 * Flat figures mean no leak on the frame path.
 *
 * Run: npx tsx bench/leak.bench.ts
 * Env: LEAK_FRAMES (10000), LEAK_SCENE (showroom: PBR, PCF shadows, motion), LEAK_SIZE (640x360),
 *      LEAK_FPS (240).
 */
import { Engine } from '../main/engine/engine.ts';
import { createLogger } from '../main/engine/log.ts';
import { DEFAULT_SETTINGS } from '../main/engine/settings.ts';
import type { ZerocastMemoryReport } from '../main/webgpu/gpu.ts';

const frames = Number(process.env.LEAK_FRAMES ?? 10_000);
const scene = process.env.LEAK_SCENE ?? 'showroom';
const [width, height] = (process.env.LEAK_SIZE ?? '640x360').split('x').map(Number) as [
  number,
  number,
];
const fps = Number(process.env.LEAK_FPS ?? 240);
const MiB = 1024 * 1024;

const log = createLogger('leak-bench');
log.level = 'warn';
const engine = await Engine.create(
  { ...DEFAULT_SETTINGS, scene, width, height, fps, bitrate: 2_000_000, keyframeInterval: fps * 2 },
  log,
);
let encoded = 0;
let bytes = 0;
engine.subscribe({
  onAccessUnit: (au) => {
    encoded++;
    bytes += au.data.byteLength;
  },
});

function sample(label: string): { rss: number; gpu: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const m = process.memoryUsage();
  const r = (
    engine.gpuDevice as unknown as { zerocastMemoryReport(): ZerocastMemoryReport }
  ).zerocastMemoryReport();
  const s = engine.status();
  console.log(
    `${label.padEnd(6)} frames ${String(s.framesRendered).padStart(6)}  RSS ${(m.rss / MiB).toFixed(1).padStart(7)} MiB  ` +
      `heap ${(m.heapUsed / MiB).toFixed(1).padStart(6)} MiB  GPU allocated ${(r.allocatedBytes / MiB).toFixed(2).padStart(8)} MiB ` +
      `(reserved ${(r.reservedBytes / MiB).toFixed(1)} MiB, ${r.allocations} allocations, ${r.liveHandles} handles)`,
  );
  return { rss: m.rss, gpu: r.allocatedBytes };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
console.log(
  `leak bench: ${frames} frames of "${scene}" at ${width}x${height}, loop target ${fps} fps, on ${engine.adapter.name}`,
);
const t0 = performance.now();
engine.start();
while (engine.status().framesRendered < 200) await sleep(50);
const start = sample('start');
let next = 1000;
while (engine.status().framesRendered < frames + 200) {
  await sleep(100);
  if (engine.status().framesRendered >= next + 200) {
    sample(`+${next}`);
    next += 1000;
  }
}
const end = sample('end');
const s = engine.status();
const secs = (performance.now() - t0) / 1000;
console.log(
  `done: ${s.framesRendered} rendered, ${encoded} encoded (${(bytes / MiB).toFixed(1)} MiB of H.264), ` +
    `${s.framesDropped} dropped by the loop (pipeline full), ${(s.framesRendered / secs).toFixed(1)} fps over ${secs.toFixed(0)} s`,
);
console.log(
  `RSS ${(start.rss / MiB).toFixed(1)} → ${(end.rss / MiB).toFixed(1)} MiB (${((end.rss - start.rss) / MiB).toFixed(1)}), ` +
    `GPU allocated ${(start.gpu / MiB).toFixed(2)} → ${(end.gpu / MiB).toFixed(2)} MiB (${((end.gpu - start.gpu) / MiB).toFixed(2)})`,
);
await engine.stop();
process.exit(0);
