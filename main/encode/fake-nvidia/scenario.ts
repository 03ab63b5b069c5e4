/**
 * Runs the CUDA side of the zero-copy path against the stand-in driver (fake_cuda.c,
 * fake_nvenc.c) in a child process, and prints what happened as one JSON object on stdout.
 * Started by main/encode/cuda-fake.test.ts with ZEROCAST_CUDA_LIBRARY / ZEROCAST_NVENC_LIBRARY
 * pointing at the stubs and FAKE_CUDA_LOG at a log file. Usage: `tsx scenario.ts <dir> [mode]`,
 * mode `full` (default) or `probe` (only the probes and the chain).
 */
import {
  existsSync,
  fstatSync,
  openSync,
  readdirSync,
  readFileSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  canEncodeExported,
  CudaNv12Target,
  cudaProbe,
  describeChain,
  nvencProbe,
  OpenH264Encoder,
  selectEncoder,
  type CudaProbe,
  type EncoderAttempt,
  type ExportedNv12Target,
  type NvencProbe,
} from '../index.ts';
import { loadNativeAddon } from '../native.ts';
import { makeTestFrame } from '../testframes.ts';

/** One frame of the `full` run. */
export interface ScenarioFrame {
  n: number;
  frameId?: number;
  ptsMs?: number;
  keyframe?: boolean;
  bytes?: number;
  /** The access unit equals OpenH264's for the same picture passed from the host. */
  sameAsHostPath: boolean;
  /** encodeMs of the worker: semaphore wait + copy + encode. */
  waitedMs?: number;
}

/** The JSON this script prints (fields after `fdsHeldByDriver` only in mode `full`). */
export interface ScenarioOut {
  cuda: CudaProbe;
  nvenc: NvencProbe;
  chain: EncoderAttempt[];
  describe: string;
  input: string;
  canEncodeExported: boolean;
  fdsHeldByDriver: boolean;
  frames: ScenarioFrame[];
  frameZero: string;
  fdsAfterClose: number;
  liveAfterClose: number;
  copyMatches: boolean;
  timeout: string;
  timeoutMs: number;
  copyZero: string;
  afterClose: string;
  semImportError: string;
  memImportError: string;
  fdsAfterFailedImports: number;
  churnFdDelta: number;
  churnLive: number;
  /** The stand-in driver's call log. */
  log: string;
}

const [dir = '/tmp', mode = 'full'] = process.argv.slice(2);
const W = 320;
const H = 180;
const PITCH = 512;
const SIZE = PITCH * H * 1.5 + 4096; // an allocation a little larger than the frame
const cfg = { width: W, height: H, fps: 30, bitrate: 800_000, keyframeInterval: 0 };
const out: Partial<ScenarioOut> = {};
const fdCount = (): number => readdirSync('/proc/self/fd').length;
/** Inode behind `fd`, or undefined when `fd` is closed (identifies the file, whatever opened next). */
const inodeOf = (fd: number): number | undefined => {
  try {
    return fstatSync(fd).ino;
  } catch {
    return undefined;
  }
};
let serial = 0;

/** A "Vulkan export": memory file + semaphore file, read-only fds for the driver, writers for us. */
function exportTarget(): { desc: ExportedNv12Target; memW: number; semW: number } {
  const n = serial++;
  const mem = join(dir, `mem${n}`);
  const sem = join(dir, `sem${n}`);
  writeFileSync(mem, Buffer.alloc(SIZE));
  writeFileSync(sem, Buffer.alloc(8));
  return {
    desc: {
      memoryFd: openSync(mem, 'r'),
      semaphoreFd: openSync(sem, 'r'),
      size: SIZE,
      pitch: PITCH,
      width: W,
      height: H,
    },
    memW: openSync(mem, 'r+'),
    semW: openSync(sem, 'r+'),
  };
}

/** What native/gpu's submit does for frame n: write the NV12, then signal value n. */
function produce(t: { memW: number; semW: number }, data: Uint8Array, n: number): void {
  writeSync(t.memW, data, 0, data.byteLength, 0);
  const v = Buffer.alloc(8);
  v.writeBigUInt64LE(BigInt(n));
  writeSync(t.semW, v, 0, 8, 0);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const errorOf = (f: () => unknown): string => {
  try {
    f();
    return '';
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
};

out.cuda = cudaProbe();
out.nvenc = nvencProbe();
// Open and close one encoder first, so what the runtime opens lazily on first use (the codec
// library, the worker's thread-safe function) is not counted against the imports below.
await new OpenH264Encoder(cfg).close();
const baseline = fdCount();

// ---- the chain, and frames encoded from the "CUDA mapping" after each semaphore wait ----
const t = exportTarget();
const exportedInodes = [inodeOf(t.desc.memoryFd), inodeOf(t.desc.semaphoreFd)];
const sel = selectEncoder(cfg, { gpu: t.desc, targetTimeoutMs: 3000 });
out.chain = sel.chain;
out.describe = describeChain(sel.chain);
out.input = sel.input;
out.canEncodeExported = canEncodeExported(sel.encoder);
// The driver keeps the two fds it now owns: both still open, on the same files (checked by inode,
// not by a count of the process's fds, which other lazily opened fds would disturb).
out.fdsHeldByDriver =
  inodeOf(t.desc.memoryFd) === exportedInodes[0] &&
  inodeOf(t.desc.semaphoreFd) === exportedInodes[1];

if (mode === 'full' && canEncodeExported(sel.encoder)) {
  const enc = sel.encoder;
  const ref = new OpenH264Encoder(cfg);
  const frames: ScenarioFrame[] = [];
  for (let n = 1; n <= 12; n++) {
    const frame = makeTestFrame({ width: W, height: H, pitch: PITCH, index: n, noise: 4 });
    if (n === 6) enc.requestKeyframe();
    if (n === 6) ref.requestKeyframe();
    // Queued before the frame exists: the worker must wait for value n, not read stale bytes.
    const pending = enc.encodeExported(n, frame.ptsMs);
    await sleep(10);
    produce(t, frame.data, n);
    const au = await pending;
    const expected = await ref.encode({ ...frame, id: n });
    frames.push({
      n,
      frameId: au?.frameId,
      ptsMs: au?.ptsMs,
      keyframe: au?.keyframe,
      bytes: au?.data.byteLength,
      sameAsHostPath: !!au && !!expected && Buffer.from(au.data).equals(Buffer.from(expected.data)),
      waitedMs: au?.transferMs, // the semaphore wait + copy, reported apart from encoding
    });
  }
  out.frames = frames;
  out.frameZero = errorOf(() => enc.encodeExported(0, 0));
  await ref.close();
  await enc.close(); // codec first, then the CUDA imports (ownsTarget)
  out.fdsAfterClose = fdCount() - baseline; // 2 writers of ours remain open
  out.liveAfterClose = loadNativeAddon().CudaExternalNv12.liveCount();

  // ---- a target used directly: copyToHost, timeout, frame 0 ----
  const d = exportTarget();
  const target = CudaNv12Target.open(d.desc);
  const frame = makeTestFrame({ width: W, height: H, pitch: PITCH, index: 40 });
  produce(d, frame.data, 7);
  const copied = target.copyToHost(7);
  out.copyMatches =
    copied.byteLength === PITCH * H * 1.5 &&
    Buffer.from(copied).equals(Buffer.from(frame.data.subarray(0, PITCH * H * 1.5)));
  const t0 = performance.now();
  out.timeout = errorOf(() => target.waitFrame(9, 100));
  out.timeoutMs = Math.round(performance.now() - t0);
  out.copyZero = errorOf(() => target.copyToHost(0));
  target.close();
  target.close(); // idempotent
  out.afterClose = errorOf(() => target.copyToHost(8));

  // ---- failed imports: who closes which fd ----
  const before = fdCount();
  process.env.FAKE_CUDA_FAIL = 'sem-import';
  const s = exportTarget();
  out.semImportError = errorOf(() => CudaNv12Target.open(s.desc));
  process.env.FAKE_CUDA_FAIL = 'mem-import';
  const m = exportTarget();
  out.memImportError = errorOf(() => CudaNv12Target.open(m.desc));
  delete process.env.FAKE_CUDA_FAIL;
  out.fdsAfterFailedImports = fdCount() - before; // only our 4 writers

  // ---- "resizing" 1,000 times: import + free, no fd or import leaked ----
  const churnBefore = fdCount();
  for (let i = 0; i < 1000; i++) {
    const desc: ExportedNv12Target = {
      memoryFd: openSync(join(dir, 'mem0'), 'r'),
      semaphoreFd: openSync(join(dir, 'sem0'), 'r'),
      size: SIZE,
      pitch: PITCH,
      width: W,
      height: H,
    };
    CudaNv12Target.open(desc).close();
  }
  out.churnFdDelta = fdCount() - churnBefore;
  out.churnLive = loadNativeAddon().CudaExternalNv12.liveCount();
} else {
  await sel.encoder.close();
}

const logFile = process.env.FAKE_CUDA_LOG;
out.log = logFile && existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
process.stdout.write(JSON.stringify(out));
