/**
 * `npm run bench`: the whole pipeline on the machine it runs on — render (three.js on native/gpu)
 * → NV12 compute pass → readback → H.264 encode → hand-off — at 640x360, 1280x720 and 1920x1080.
 *
 * For each size it warms up, then runs the engine's own frame loop for a fixed time with a frame
 * rate target above what the machine can do (so the loop runs flat out, dropping frames it cannot
 * take rather than queueing them), and prints the adapter's name, median and p99 ms of each stage
 * and the sustained frame rate (frames encoded per second). Stage times are CPU wall times
 * (render/convert: recording + submit; readback: submit → NV12 readable by the encoder — on the
 * mapAsync path the map and copy, which include the GPU's execution, on the zero-copy path the
 * encoder's timeline-semaphore wait and CUDA copy; encode: the codec on its worker thread; send:
 * until every viewer's packets are out, so ~0 here, where nobody watches). The last column names
 * the encoder and its input (map-async, cuda-copy or cuda-zero-copy).
 *
 * Options (env): BENCH_SCENE (default showroom), BENCH_SECONDS (default 6), BENCH_SIZES
 * (default "640x360,1280x720,1920x1080"), BENCH_FPS_TARGET (default 240).
 */
import { Engine } from '../main/engine/engine.ts';
import { STAGES, stageStats } from '../main/engine/frame-timing.ts';
import { createLogger } from '../main/engine/log.ts';
import { DEFAULT_SETTINGS } from '../main/engine/settings.ts';

const scene = process.env.BENCH_SCENE ?? 'showroom';
const seconds = Number(process.env.BENCH_SECONDS ?? 6);
const fpsTarget = Number(process.env.BENCH_FPS_TARGET ?? 240);
const sizes = (process.env.BENCH_SIZES ?? '640x360,1280x720,1920x1080').split(',').map((s) => {
  const [w, h] = s.split('x').map(Number);
  return { width: w!, height: h! };
});
/** A bitrate that suits the size (bits/s): 6 Mbit/s at 720p, scaled by pixel count. */
const bitrateFor = (w: number, h: number) =>
  Math.round((6_000_000 * (w * h)) / (1280 * 720) / 100_000) * 100_000;

const log = createLogger('bench');
log.level = 'warn';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '-');

const rows: string[] = [];
let adapterName = '';
for (const { width, height } of sizes) {
  process.stderr.write(`bench: ${scene} ${width}x${height}: warming up ...\n`);
  const engine = await Engine.create(
    {
      ...DEFAULT_SETTINGS,
      scene,
      width,
      height,
      fps: fpsTarget,
      bitrate: bitrateFor(width, height),
      keyframeInterval: 120,
    },
    log,
  );
  adapterName = `${engine.adapter.name} (${engine.adapter.backend}, ${engine.adapter.type})`;
  for (let i = 0; i < 10; i++) await engine.renderOnce();
  const firstId = engine.timing.recent(1)[0]!.id + 1;
  process.stderr.write(`bench: ${scene} ${width}x${height}: running ${seconds} s ...\n`);
  const t0 = performance.now();
  engine.start();
  await sleep(seconds * 1000);
  const status = engine.status();
  await engine.stop();
  const elapsed = (performance.now() - t0) / 1000;
  const records = engine.timing.recent().filter((r) => r.id >= firstId);
  const encoded = records.filter((r) => !r.dropped && r.bytes > 0).length;
  const dropped = records.filter((r) => r.dropped).length;
  const cells = STAGES.map((stage) => {
    const s = stageStats(records, stage);
    return `${fmt(s.median).padStart(7)} ${fmt(s.p99).padStart(7)}`;
  });
  const bits = records.reduce((a, r) => a + r.bytes * 8, 0) / elapsed;
  rows.push(
    `${`${width}x${height}`.padEnd(10)} ${cells.join(' ')} ${(encoded / elapsed).toFixed(1).padStart(7)} ${String(dropped).padStart(7)} ${(bits / 1e6).toFixed(2).padStart(7)}  ${status.encoder.name} (${status.encoder.input})`,
  );
}

console.log(
  `\nZerocast pipeline benchmark — scene "${scene}", ${seconds} s per size, loop target ${fpsTarget} fps`,
);
console.log(`adapter: ${adapterName}`);
console.log(`node ${process.version}, ${process.platform}/${process.arch}\n`);
console.log(
  `${'size'.padEnd(10)} ${STAGES.map((s) => `${s.padStart(7)} ${'p99'.padStart(7)}`).join(' ')} ${'fps'.padStart(7)} ${'dropped'.padStart(7)} ${'Mbit/s'.padStart(7)}  encoder`,
);
console.log(
  `${''.padEnd(10)} ${STAGES.map(() => `${'median'.padStart(7)} ${'ms'.padStart(7)}`).join(' ')}`,
);
for (const row of rows) console.log(row);
