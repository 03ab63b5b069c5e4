/**
 * Zero-copy device check for the GPU machine (issue 4).
 *
 *   1. Opens the high-performance adapter's device with the export extension and prints what it
 *      exports (VK_KHR_external_memory_fd / external_semaphore_fd, device UUID).
 *   2. Creates the NV12 converter's ring of exported targets (3 slots: OPAQUE_FD memory + an
 *      exported timeline semaphore each) and hands it to `selectEncoder(cfg, { gpu })`: prints
 *      whether NVENC opened (nvencProbe's NVENCSTATUS by name), the chosen encoder, its input and
 *      the chain with every fallback reason.
 *   3. Renders the test pattern at 1920x1080 for 1,000 frames in a tight loop with up to 3 frames
 *      in flight (one per ring slot). For every frame: CUDA copies the NV12 of its slot out right
 *      after the frame's submit, after waiting for the slot's timeline value (the encoder's own
 *      CudaNv12Target, `copyToHost`); the frame's RGBA is read back (`readTexture`) and converted
 *      on the CPU (`rgbaToNv12`, BT.709 limited range); the two are compared byte by byte over the
 *      visible bytes. A torn read (CUDA reading before the pass finished, or a slot overwritten
 *      while read) shows up as a mismatch, since consecutive frames differ (moving square,
 *      counter). Every frame is then also encoded through `encodeExported(n, pts, slot)`.
 *   4. Runs the engine itself (test pattern, 1280x720, 30 fps) for 3 s, resizes it to 1920x1080
 *      and back 5 times, runs 2 s more and stops it: its status (encoder chain, input, frames
 *      encoded/dropped) and the process's fd count before and after (no fd left behind).
 *   5. Prints a summary: frames, mismatching frames, mismatching bytes, largest difference.
 *
 * With `--cycles N` it runs only the resize/teardown soak instead: N times (after 10 warm-up
 * cycles) a new exported ring at the next of four sizes → selectEncoder (3 CUDA imports) → one
 * rendered frame encoded with encodeExported → encoder.close() → converter.dispose(); then
 * prints the change in fds, live CUDA imports, process RSS and GPU memory (nvidia-smi).
 *
 * Options: --frames N (default 1000), --size WxH (default 1920x1080), --out DIR (logs,
 * first mismatch dumps and the first 60 encoded frames as .h264; default $OUT or .cache/device).
 * Build + run: see scripts/device/zero-copy.sh.
 */
import { mkdirSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { rgbaToNv12 } from '../../main/convert/bt709.ts';
import { Nv12Converter, type Nv12Job } from '../../main/convert/nv12.ts';
import { openSceneRenderer } from '../../main/convert/render-source.ts';
import {
  canEncodeExported,
  cudaProbe,
  describeChain,
  selectEncoder,
  type CudaNv12Target,
} from '../../main/encode/index.ts';
import type { NativeH264Encoder } from '../../main/encode/native-encoder.ts';
import { exportCapabilities, readTexture } from '../../main/webgpu/index.ts';
import { Engine, DEFAULT_SETTINGS } from '../../main/engine/engine.ts';
import type { Logger } from '../../main/engine/log.ts';
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { loadNativeAddon } from '../../main/encode/native.ts';
import { openExportableDevice } from '../../bench/zero-copy.bench.ts';
import { compareNv12, reportNvenc } from './cuda-check.ts';

/** Per-frame comparison outcome. */
interface FrameCheck {
  frame: number;
  mismatches: number;
  maxDiff: number;
  first?: { plane: 'Y' | 'CbCr'; x: number; y: number };
}

function maxAbsDiff(a: Uint8Array, b: Uint8Array, w: number, h: number, pitch: number): number {
  let max = 0;
  for (let row = 0; row < h * 1.5; row++) {
    const o = row * pitch;
    for (let x = 0; x < w; x++) {
      const d = Math.abs(a[o + x]! - b[o + x]!);
      if (d > max) max = d;
    }
  }
  return max;
}

function args(argv: string[]): {
  frames: number;
  width: number;
  height: number;
  out: string;
  cycles: number;
} {
  let cycles = 0;
  let frames = 1000;
  let width = 1920;
  let height = 1080;
  let out = process.env.OUT || '.cache/device/out';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--frames') frames = Number(argv[++i]);
    else if (argv[i] === '--size')
      [width, height] = argv[++i]!.split('x').map(Number) as [number, number];
    else if (argv[i] === '--out') out = argv[++i]!;
    else if (argv[i] === '--cycles') cycles = Number(argv[++i]);
  }
  return { frames, width, height, out, cycles };
}

/** Runs the check; returns the process exit code (0 = zero mismatches and CUDA path exercised). */
export async function runZeroCopyCheck(argv: string[]): Promise<number> {
  const { frames, width: W, height: H, out, cycles } = args(argv);
  mkdirSync(out, { recursive: true });
  const logFile = join(out, 'zero-copy-check.log');
  writeFileSync(logFile, '');
  const log = (line: string): void => {
    console.log(line);
    appendFileSync(logFile, line + '\n');
  };

  const { device, adapterName } = await openExportableDevice();
  log(`adapter: ${adapterName}`);
  if (cycles > 0) return runCycles(device, cycles, log);
  const fds0 = readdirSync('/proc/self/fd').length;
  const caps = exportCapabilities(device);
  log(`export: ${JSON.stringify(caps)}`);
  const cuda = cudaProbe();
  log(
    `CUDA: ${cuda.ok ? 'ok' : `unavailable (${cuda.error})`}; devices: ` +
      cuda.devices.map((d) => `${d.ordinal}:${d.name} uuid ${d.uuid}`).join(', '),
  );
  const nv = reportNvenc(caps.deviceUuid);
  log(nv.line);

  const scene = await openSceneRenderer(device, W, H);
  const conv = new Nv12Converter(device, W, H, { export: 'auto', ring: 3 });
  log(
    `NV12 ring: ${conv.ringSize} slots, pitch ${conv.pitch} B, ${conv.size} B each, exported ` +
      `${conv.exported}, semaphores ${conv.semaphores}` +
      (conv.exportUnavailable ? ` (${conv.exportUnavailable})` : ''),
  );
  const cfg = { width: W, height: H, fps: 30, bitrate: 8_000_000, keyframeInterval: 60 };
  const sel = selectEncoder(cfg, { gpu: conv.encoderTarget() });
  const chainLine = `chain: ${describeChain(sel.chain)}`;
  log(`encoder: ${sel.encoder.name}, input ${sel.input}`);
  log(chainLine);
  log(`chain JSON: ${JSON.stringify(sel.chain)}`);
  const enc = sel.encoder;
  const targets: readonly CudaNv12Target[] = canEncodeExported(enc)
    ? (enc as NativeH264Encoder).targets
    : [];
  if (targets.length === 0) {
    log('no CUDA-imported ring: the per-frame CUDA comparison cannot run on this machine');
  }

  const pitch = conv.pitch;
  const checks: FrameCheck[] = [];
  const inFlight: { job: Nv12Job; rgba: ReturnType<typeof readTexture>; frame: number }[] = [];
  let encoded = 0;
  let encodedBytes = 0;
  let dumped = false;
  const h264 = join(out, 'zero-copy-first60.h264');
  writeFileSync(h264, Buffer.alloc(0));
  const t0 = performance.now();

  const finish = async (): Promise<void> => {
    const item = inFlight.shift()!;
    const { job, frame } = item;
    try {
      // CUDA: wait for the slot's timeline value, then copy (the frame may still be rendering).
      const viaCuda = targets[job.slot]!.copyToHost(job.frameNumber, 5000);
      const rgba = await item.rgba;
      const ref = rgbaToNv12(rgba.data, W, H, pitch);
      const c = compareNv12(viaCuda, ref, W, H, pitch);
      const check: FrameCheck = {
        frame,
        mismatches: c.mismatches,
        maxDiff: c.mismatches ? maxAbsDiff(viaCuda, ref, W, H, pitch) : 0,
        ...(c.first ? { first: c.first } : {}),
      };
      checks.push(check);
      if (c.mismatches && !dumped) {
        dumped = true;
        writeFileSync(join(out, `mismatch-frame${frame}-cuda.nv12`), viaCuda);
        writeFileSync(join(out, `mismatch-frame${frame}-cpu.nv12`), ref);
      }
      if (c.mismatches && checks.filter((x) => x.mismatches).length <= 20) {
        log(
          `frame ${frame} (slot ${job.slot}): ${c.mismatches} bytes differ, max |Δ| ${check.maxDiff}, ` +
            `first at ${c.first?.plane} (${c.first?.x}, ${c.first?.y})`,
        );
      }
      // The full path: encode the same slot through the encoder (waits on the semaphore too).
      if (canEncodeExported(enc)) {
        const au = await enc.encodeExported(job.frameNumber, (frame * 1000) / 30, job.slot);
        if (au) {
          encoded++;
          encodedBytes += au.data.byteLength;
          if (frame <= 60) appendFileSync(h264, au.data);
        }
      }
    } finally {
      job.release(); // the slot may be written again only now
    }
  };

  for (let f = 1; f <= frames; f++) {
    if (targets.length === 0) break;
    while (!conv.canConvert) await finish();
    const tex = scene.render(f);
    const job = conv.convert(tex, { readback: false });
    // RGBA of the same frame: its copy is queued behind the render, before the next render.
    inFlight.push({ job, rgba: readTexture(device, tex), frame: f });
    if (f % 100 === 0) {
      log(
        `  ${f}/${frames} frames, ${checks.filter((c) => c.mismatches).length} mismatching so far`,
      );
    }
  }
  while (inFlight.length) await finish();
  const seconds = (performance.now() - t0) / 1000;

  // Teardown order: encoder (CUDA imports) → Vulkan buffers/semaphores → device.
  await enc.close();
  conv.dispose();
  scene.dispose();
  device.destroy();

  const engineLine = await runEngine(log);
  const fds1 = readdirSync('/proc/self/fd').length;

  const bad = checks.filter((c) => c.mismatches);
  const totalBytes = bad.reduce((s, c) => s + c.mismatches, 0);
  const maxDiff = bad.reduce((m, c) => Math.max(m, c.maxDiff), 0);
  const pm1 = bad.filter((c) => c.maxDiff <= 1).length;
  writeFileSync(
    join(out, 'zero-copy-check.json'),
    JSON.stringify(
      { caps, chain: sel.chain, input: sel.input, nvenc: nv, checks: bad, frames: checks.length },
      null,
      1,
    ),
  );
  log('');
  log('=== zero-copy check summary ===');
  log(`adapter         ${adapterName}`);
  log(
    `frames checked  ${checks.length} at ${W}x${H} (CUDA copy after semaphore wait vs CPU rgbaToNv12)`,
  );
  log(
    `mismatches      ${bad.length} frames (${pm1} of them within ±1), ${totalBytes} bytes, max |Δ| ${maxDiff}`,
  );
  log(
    `encoded         ${encoded} frames via encodeExported, ${(encodedBytes / 1e6).toFixed(1)} MB, ${seconds.toFixed(1)} s total`,
  );
  log(nv.line);
  log(`encoder         ${sel.encoder.name} (input ${sel.input})`);
  log(chainLine);
  log(engineLine);
  log(
    `fds             ${fds0} before CUDA init, ${fds1} after check, engine run and teardown ` +
      '(CUDA driver fds included; see --cycles for the leak soak)',
  );
  return checks.length === frames && bad.length === 0 ? 0 : 1;
}

/** GPU memory in use (MiB, nvidia-smi), or NaN where there is no nvidia-smi. */
function gpuMemoryMiB(): number {
  try {
    const out = execFileSync('nvidia-smi', [
      '--query-gpu=memory.used',
      '--format=csv,noheader,nounits',
    ]).toString();
    return Number(out.trim().split('\n')[0]);
  } catch {
    return Number.NaN;
  }
}

const rssMiB = (): number =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;

/**
 * The resize/teardown soak on the real driver: `n` cycles of exported ring → CUDA imports →
 * one encoded frame → teardown (encoder first, then Vulkan); returns the exit code (0 = flat).
 */
async function runCycles(
  device: GPUDevice,
  n: number,
  log: (line: string) => void,
): Promise<number> {
  const sizes: [number, number][] = [
    [1280, 720],
    [1920, 1080],
    [640, 360],
    [1024, 576],
  ];
  const scene = await openSceneRenderer(device, 1280, 720);
  let encodedFrames = 0;
  let inputs = new Set<string>();
  const cycle = async (i: number): Promise<void> => {
    const [w, h] = sizes[i % sizes.length]!;
    scene.resize(w, h);
    const conv = new Nv12Converter(device, w, h, { export: 'auto', ring: 3 });
    const sel = selectEncoder(
      { width: w, height: h, fps: 30, bitrate: 2_000_000, keyframeInterval: 30 },
      { gpu: conv.encoderTarget() },
    );
    inputs.add(sel.input);
    const job = conv.convert(scene.render(i), { readback: !canEncodeExported(sel.encoder) });
    try {
      const au = canEncodeExported(sel.encoder)
        ? await sel.encoder.encodeExported(job.frameNumber, 0, job.slot)
        : await sel.encoder.encode({
            id: i,
            width: w,
            height: h,
            pitch: conv.pitch,
            data: (await job.done)!,
            ptsMs: 0,
          });
      if (au) encodedFrames++;
    } finally {
      job.release();
    }
    await sel.encoder.close(); // CUDA imports first,
    conv.dispose(); // then the Vulkan buffers and semaphores
  };
  for (let i = 0; i < 10; i++) await cycle(i);
  await device.queue.onSubmittedWorkDone();
  const live = (): number => loadNativeAddon().CudaExternalNv12.liveCount();
  const before = { fds: fdCount(), live: live(), rss: rssMiB(), gpu: gpuMemoryMiB() };
  inputs = new Set();
  encodedFrames = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    await cycle(i);
    if ((i + 1) % 250 === 0) {
      log(
        `  ${i + 1}/${n} cycles: fds ${fdCount()}, gpu ${gpuMemoryMiB()} MiB, rss ${rssMiB().toFixed(0)} MiB`,
      );
    }
  }
  await device.queue.onSubmittedWorkDone();
  const after = { fds: fdCount(), live: live(), rss: rssMiB(), gpu: gpuMemoryMiB() };
  scene.dispose();
  device.destroy();
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  log('');
  log('=== resize/teardown soak (exported ring + CUDA imports) ===');
  log(
    `cycles          ${n} (+10 warm-up) over ${sizes.map((x) => x.join('x')).join(', ')}, ${s} s; encoder input ${[...inputs].join(', ')}; ${encodedFrames} frames encoded`,
  );
  log(`fds             ${before.fds} → ${after.fds} (Δ ${after.fds - before.fds})`);
  log(`CUDA imports    ${before.live} → ${after.live} live`);
  log(
    `GPU memory      ${before.gpu} → ${after.gpu} MiB used (Δ ${after.gpu - before.gpu}; nvidia-smi)`,
  );
  log(
    `process RSS     ${before.rss.toFixed(0)} → ${after.rss.toFixed(0)} MiB (Δ ${(after.rss - before.rss).toFixed(0)})`,
  );
  return after.fds === before.fds && after.live === before.live ? 0 : 1;
}

const fdCount = (): number => readdirSync('/proc/self/fd').length;

/** Runs the engine on the zero-copy path with resizes; returns its summary line. */
async function runEngine(log: (line: string) => void): Promise<string> {
  const say =
    (level: string) =>
    (a: unknown, b?: unknown): void => {
      log(`  [engine ${level}] ${typeof a === 'string' ? a : String(b ?? '')}`);
    };
  const logger = {
    info: say('info'),
    warn: say('warn'),
    error: say('error'),
    debug: () => {},
    trace: () => {},
    fatal: say('fatal'),
    child: () => logger,
  } as unknown as Logger;
  try {
    const engine = await Engine.create(
      { ...DEFAULT_SETTINGS, scene: 'test-pattern', width: 1280, height: 720, fps: 30 },
      logger,
    );
    engine.start();
    await new Promise((r) => setTimeout(r, 3000));
    const s1 = engine.status();
    for (let i = 0; i < 5; i++) {
      await engine.reconfigure({ width: 1920, height: 1080 });
      await new Promise((r) => setTimeout(r, 200));
      await engine.reconfigure({ width: 1280, height: 720 });
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 2000));
    const s2 = engine.status();
    await engine.stop();
    log(`engine status.encoder: ${JSON.stringify(s2.encoder)}`);
    return (
      `engine          ${s2.encoder.name} (input ${s2.encoder.input}); after 3 s: ` +
      `${s1.framesEncoded} encoded, ${s1.framesDropped} dropped; after 10 resizes + 2 s: ` +
      `${s2.framesEncoded} encoded, ${s2.framesDropped} dropped, ${s2.fps} fps`
    );
  } catch (err) {
    return `engine          failed: ${(err as Error).stack ?? String(err)}`;
  }
}

if (process.argv[1] && /zero-copy-check\.(ts|mjs|js)$/.test(process.argv[1])) {
  runZeroCopyCheck(process.argv.slice(2)).then(
    (rc) => process.exit(rc),
    (e: unknown) => {
      console.error(e);
      process.exit(2);
    },
  );
}
