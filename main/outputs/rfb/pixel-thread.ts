/**
 * The thread that does the RFB pixel work: NV12 → client pixel format (once per distinct format)
 * and the uncompressed ZRLE tile data / Raw rectangles, on a `worker_threads` Worker
 * (./pixel-worker.ts) so that the main thread, which runs the engine's frame loop, only copies a
 * frame once and hands it over (the bytes are transferred, not cloned).
 *
 * One worker per `RfbServer`, started when the first ZRLE/Raw client needs a frame: the work is
 * one conversion and one tiling per pixel format in use (normally one), so more workers would
 * only help with several formats at once, and on the 2-core machines this runs on the other core
 * is the main thread's.
 *
 * Loading the worker, by how the code runs:
 * - from TypeScript source (`node --import tsx`, the `tsx` CLI, vitest): the worker is
 *   pixel-worker.ts, started by a two-line JavaScript bootstrap (`eval: true`) that first
 *   registers tsx in the worker (`tsx/esm/api` `register()`, resolved from this file). Neither
 *   an inherited `--import tsx` nor `execArgv: ['--import', …tsx]` makes Node 20 load a .ts
 *   worker entry ("Unknown file extension .ts"), so the bootstrap is what works in all three.
 * - from an esbuild bundle (`import.meta.url` is the bundle, not a .ts file): the worker is
 *   `rfb-pixel-worker.mjs` beside the bundle, built with
 *   `npx esbuild main/outputs/rfb/pixel-worker.ts --bundle --platform=node --format=esm
 *   --outfile=<bundle's folder>/rfb-pixel-worker.mjs`.
 * When the worker cannot be started (no such file beside a bundle) or dies, the work runs on the
 * main thread as before, with a logged warning; {@link PixelThread.mode} says which is in use.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, threadId } from 'node:worker_threads';
import type { RfbLogger } from './connection.ts';
import { SharedFrame, type PixelKind } from './frame-cache.ts';
import type { PixelFormat } from './pixel-format.ts';

/** One conversion a job asks for. */
export interface PixelWant {
  /** `pixelWantKey(pf, kind)` (./frame-cache.ts). */
  key: string;
  pf: PixelFormat;
  kind: PixelKind;
}

/** An NV12 frame as handed to the worker (its `data` owns its whole ArrayBuffer). */
export interface PixelJobFrame {
  id: number;
  width: number;
  height: number;
  pitch: number;
  data: Uint8Array;
}

/** A message to the worker. */
export interface PixelJob {
  /** Job number (the reply carries it). */
  seq: number;
  /** The frame the wants are for: `frame.id`, or the frame the worker was handed last. */
  frameId: number;
  /** A new frame (replaces the one the worker holds). */
  frame?: PixelJobFrame;
  wants: PixelWant[];
}

/** One converted buffer of a {@link PixelResult}. */
export interface PixelOutput {
  key: string;
  data: Uint8Array;
}

/** The worker's reply to a {@link PixelJob}. */
export interface PixelResult {
  seq: number;
  frameId: number;
  /** `threadId` of the thread that did the work (0: the main thread). */
  threadId: number;
  /** Milliseconds the work took on that thread. */
  ms: number;
  out: PixelOutput[];
  /** Why nothing was produced (frame no longer held, worker gone, …). */
  error?: string;
}

/** How to start the worker (a module, or bootstrap code to evaluate), or why it cannot be. */
function workerEntry(): { entry: URL | string; eval: boolean } | { unavailable: string } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const worker = new URL('./pixel-worker.ts', here).href;
    let api: string;
    try {
      // The ES module of `tsx/esm/api` (require.resolve would give its CommonJS twin).
      const pkg = createRequire(here).resolve('tsx/package.json');
      const { exports } = JSON.parse(readFileSync(pkg, 'utf8')) as {
        exports: Record<string, { import: { default: string } }>;
      };
      api = new URL(exports['./esm/api']!.import.default, pathToFileURL(pkg)).href;
    } catch (e) {
      return {
        unavailable: `tsx, needed to run pixel-worker.ts, not found: ${(e as Error).message}`,
      };
    }
    const code =
      `import(${JSON.stringify(api)}).then((m) => { m.register(); ` +
      `return import(${JSON.stringify(worker)}); });`;
    return { entry: code, eval: true };
  }
  const url = new URL('./rfb-pixel-worker.mjs', here);
  if (!existsSync(fileURLToPath(url))) {
    return { unavailable: `${fileURLToPath(url)} not found (build it beside the bundle)` };
  }
  return { entry: url, eval: false };
}

/**
 * Runs {@link PixelJob}s one at a time on the worker thread (or, when there is none, on the
 * main thread). Not re-entrant: the caller waits for a job's result before the next.
 */
export class PixelThread {
  private worker: Worker | undefined;
  private unavailable: string | undefined;
  private inline: SharedFrame | undefined;
  private pending: { seq: number; resolve: (r: PixelResult) => void } | undefined;
  private seq = 0;
  private closed = false;

  /**
   * @param log where a worker that cannot start or dies is reported.
   * @param useWorker false: always convert on the main thread (the previous behaviour).
   */
  constructor(
    private readonly log: RfbLogger,
    useWorker = true,
  ) {
    if (!useWorker) this.unavailable = 'disabled';
  }

  /** Where jobs run now: `worker` or `main` (no worker, see the module comment). */
  get mode(): 'worker' | 'main' {
    return this.unavailable === undefined ? 'worker' : 'main';
  }

  /**
   * Runs one job. A new frame's `data` is transferred to the worker (unusable here afterwards).
   * Never rejects: failures come back as a result with `error` and no output.
   */
  run(job: Omit<PixelJob, 'seq'>): Promise<PixelResult> {
    if (this.pending) throw new Error('PixelThread: a job is already running');
    const seq = ++this.seq;
    const full: PixelJob = { ...job, seq };
    if (this.closed) return Promise.resolve(this.failed(full, 'closed'));
    return new Promise((resolve) => {
      const worker = this.ensureWorker();
      if (!worker) {
        // As before the worker existed: after the current callback, on the main thread.
        setImmediate(() => resolve(this.runInline(full)));
        return;
      }
      this.pending = { seq, resolve };
      const transfer = job.frame ? [job.frame.data.buffer as ArrayBuffer] : [];
      worker.postMessage(full, transfer);
    });
  }

  /** Stops the worker; a running job resolves with an error. Idempotent. */
  close(): void {
    this.closed = true;
    this.inline = undefined;
    const w = this.worker;
    this.worker = undefined;
    if (w) void w.terminate();
    this.settle('closed');
  }

  private ensureWorker(): Worker | undefined {
    if (this.worker || this.unavailable !== undefined) return this.worker;
    const entry = workerEntry();
    if ('unavailable' in entry) {
      this.giveUp(entry.unavailable);
      return undefined;
    }
    const w = new Worker(entry.entry, { eval: entry.eval });
    w.unref(); // never keeps the process alive by itself
    w.on('message', (r: PixelResult) => {
      if (this.pending?.seq !== r.seq) return;
      const { resolve } = this.pending;
      this.pending = undefined;
      resolve(r);
    });
    w.on('error', (e) => this.lost(w, `worker error: ${e.message}`));
    w.on('exit', (code) => this.lost(w, `worker exited with code ${code}`));
    this.worker = w;
    return w;
  }

  private lost(w: Worker, reason: string): void {
    if (this.worker !== w) return; // already replaced or closed
    this.worker = undefined;
    void w.terminate();
    this.giveUp(reason);
    this.settle(reason);
  }

  private giveUp(reason: string): void {
    this.unavailable = reason;
    this.log.warn({ reason }, 'rfb pixel worker unavailable: converting on the main thread');
  }

  private settle(reason: string): void {
    const p = this.pending;
    this.pending = undefined;
    p?.resolve({ seq: p.seq, frameId: -1, threadId: -1, ms: 0, out: [], error: reason });
  }

  private failed(job: PixelJob, error: string): PixelResult {
    return { seq: job.seq, frameId: job.frameId, threadId, ms: 0, out: [], error };
  }

  /** The worker's job, on this thread (same code, same output). */
  private runInline(job: PixelJob): PixelResult {
    if (this.closed) return this.failed(job, 'closed');
    const t0 = performance.now();
    if (job.frame) this.inline = new SharedFrame({ ...job.frame, ptsMs: 0 });
    const f = this.inline;
    if (f?.id !== job.frameId) return this.failed(job, `frame ${job.frameId} is no longer held`);
    const out = job.wants.map((w) => ({
      key: w.key,
      data: w.kind === 'zrle' ? f.zrleData(w.pf) : f.rawData(w.pf),
    }));
    return { seq: job.seq, frameId: job.frameId, threadId, ms: performance.now() - t0, out };
  }
}
