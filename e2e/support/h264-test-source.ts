/**
 * A real-data {@link StreamSource} for tests: an H.264 constrained-baseline Annex B stream made by
 * Debian's ffmpeg (libx264, `testsrc2` pattern), split into access units and replayed in a loop at
 * the stream's frame rate. `requestKeyframe` makes the next access unit an IDR by jumping ahead to
 * the next IDR of the file (the picture jumps a little, the pts keeps running).
 *
 * Test support only: the product's StreamSource is the engine (main/engine).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  AccessUnit,
  FrameTiming,
  Nv12Frame,
  StreamListener,
  StreamSource,
  TimingSource,
} from '../../main/engine/contracts.ts';
import { splitAccessUnits, type AnnexBAccessUnit } from '../../main/outputs/whep/h264.ts';

/** Options of {@link generateH264}. */
export interface H264TestStreamOptions {
  /** Pixels; even. Default 640x360. */
  width?: number;
  height?: number;
  /** Frames per second. Default 30. */
  fps?: number;
  /** Frames in the file (rounded up to a multiple of `gop`). Default 300. */
  frames?: number;
  /** Frames between IDRs. Default 30. */
  gop?: number;
  /** Target bitrate, bits/s. Default 1_000_000. */
  bitrate?: number;
  /** lavfi source pattern. Default `testsrc2` (colour bars are `smptebars`). */
  pattern?: string;
  /**
   * RGB → YUV matrix of the encode, signalled in the SPS VUI (`colour_primaries`,
   * `transfer_characteristics`, `matrix_coefficients`), limited range. Default `bt709` (what the
   * engine's NV12 pass produces); `unsignalled` converts with BT.601 and writes no colour VUI.
   */
  colour?: 'bt709' | 'unsignalled';
}

/**
 * Encodes a test pattern to a constrained-baseline Annex B H.264 file with ffmpeg (libx264,
 * no B-frames, closed GOPs of `gop` frames, access unit delimiters) and returns its path.
 * Files are cached under `$TMPDIR/zerocast-e2e/` by their parameters.
 * @throws Error when ffmpeg is missing or fails (with its stderr).
 */
export function generateH264(options: H264TestStreamOptions = {}): string {
  const width = options.width ?? 640;
  const height = options.height ?? 360;
  const fps = options.fps ?? 30;
  const gop = options.gop ?? 30;
  const frames = Math.ceil((options.frames ?? 300) / gop) * gop;
  const bitrate = options.bitrate ?? 1_000_000;
  const pattern = options.pattern ?? 'testsrc2';
  const colour = options.colour ?? 'bt709';
  const dir = join(tmpdir(), 'zerocast-e2e');
  mkdirSync(dir, { recursive: true });
  const file = join(
    dir,
    `${pattern}-${width}x${height}-${fps}-${frames}-${gop}-${bitrate}-${colour}.h264`,
  );
  if (existsSync(file)) return file;
  const partial = `${file}.${process.pid}.part`;
  // prettier-ignore
  const args = [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `${pattern}=size=${width}x${height}:rate=${fps}`,
    '-frames:v', String(frames),
    ...(colour === 'bt709'
      ? ['-vf', 'scale=out_color_matrix=bt709:out_range=tv', '-color_primaries', 'bt709',
         '-color_trc', 'bt709', '-colorspace', 'bt709', '-color_range', 'tv']
      : []),
    '-c:v', 'libx264', '-profile:v', 'baseline', '-level', '3.1', '-preset', 'veryfast',
    '-tune', 'zerolatency', '-bf', '0', '-g', String(gop), '-keyint_min', String(gop),
    '-sc_threshold', '0', '-pix_fmt', 'yuv420p', '-b:v', String(bitrate),
    '-bsf:v', 'h264_metadata=aud=insert', '-f', 'h264', partial,
  ];
  const r = spawnSync('ffmpeg', args, { encoding: 'utf8' });
  if (r.error)
    throw new Error(`ffmpeg could not be run (apt-get install ffmpeg): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`ffmpeg failed (${r.status}): ${r.stderr}`);
  renameSync(partial, file);
  return file;
}

/** Options of {@link H264TestSource}. */
export interface H264TestSourceOptions extends H264TestStreamOptions {
  /** Start replaying immediately (default true); otherwise call {@link H264TestSource.start}. */
  autoStart?: boolean;
}

/**
 * Replays an ffmpeg-made H.264 stream as a {@link StreamSource} (and, through
 * {@link H264TestSource.timing}, a {@link TimingSource} with one FrameTiming per access unit).
 */
export class H264TestSource implements StreamSource {
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  /** The access units of the file, in decode order (the file starts with an IDR). */
  readonly accessUnits: readonly AnnexBAccessUnit[];
  /** Frame timing records, as the engine would produce them. */
  readonly timing: TestTimingSource = new TestTimingSource();
  /** `requestKeyframe` calls seen, by reason (for assertions). */
  readonly keyframeRequests: string[] = [];
  private readonly listeners = new Set<StreamListener>();
  private timer: NodeJS.Timeout | undefined;
  private index = 0;
  private frameId = 0;
  private startedAt = 0;
  private keyframePending = false;
  private isLive = false;

  constructor(options: H264TestSourceOptions = {}) {
    this.width = options.width ?? 640;
    this.height = options.height ?? 360;
    this.fps = options.fps ?? 30;
    const file = generateH264(options);
    this.accessUnits = splitAccessUnits(new Uint8Array(readFileSync(file)));
    if (!this.accessUnits[0]?.keyframe) throw new Error(`${file} does not start with an IDR`);
    if (options.autoStart !== false) this.start();
  }

  get live(): boolean {
    return this.isLive;
  }

  /** Starts (or resumes) emitting access units at `fps`. */
  start(): void {
    if (this.timer) return;
    this.startedAt = performance.now() - (this.frameId * 1000) / this.fps;
    const period = 1000 / this.fps;
    const tick = (): void => {
      // Catch up on timer lateness without bursting more than a few frames.
      const due = Math.floor((performance.now() - this.startedAt) / period) + 1;
      let burst = 0;
      while (this.frameId < due && burst < 3) {
        this.emit();
        burst += 1;
      }
      if (this.frameId < due) this.startedAt = performance.now() - this.frameId * period;
    };
    this.timer = setInterval(tick, period / 2);
    this.emit();
  }

  /** Stops emitting; `live` becomes false. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.isLive = false;
  }

  subscribe(listener: StreamListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  requestKeyframe(reason: string): void {
    this.keyframeRequests.push(reason);
    this.keyframePending = true;
  }

  latestFrame(): Nv12Frame | undefined {
    return undefined;
  }

  /**
   * Emits `count` access units synchronously, now (for deterministic tests with
   * `autoStart: false`). Their pts still advance by 1/fps each.
   */
  step(count = 1): void {
    for (let i = 0; i < count; i += 1) this.emit();
  }

  /** Number of access units emitted so far. */
  get framesEmitted(): number {
    return this.frameId;
  }

  private emit(): void {
    const aus = this.accessUnits;
    if (this.keyframePending) {
      this.keyframePending = false;
      if (!aus[this.index]?.keyframe) {
        let i = (this.index + 1) % aus.length;
        while (!aus[i]?.keyframe) i = (i + 1) % aus.length;
        this.index = i;
      }
    }
    const src = aus[this.index];
    if (!src) return;
    this.index = (this.index + 1) % aus.length;
    const startMs = Date.now();
    const au: AccessUnit = {
      frameId: this.frameId,
      ptsMs: (this.frameId * 1000) / this.fps,
      keyframe: src.keyframe,
      data: src.data,
      width: this.width,
      height: this.height,
    };
    this.frameId += 1;
    this.isLive = true;
    const t0 = performance.now();
    for (const l of this.listeners) l.onAccessUnit?.(au);
    const send = performance.now() - t0;
    this.timing.push({
      id: au.frameId,
      startMs,
      stages: { encode: 0, send },
      bytes: au.data.byteLength,
      keyframe: au.keyframe,
    });
  }
}

/** A {@link TimingSource} backed by a ring buffer that tests (or {@link H264TestSource}) fill. */
export class TestTimingSource implements TimingSource {
  private readonly ring: FrameTiming[] = [];
  private readonly listeners = new Set<(t: FrameTiming) => void>();

  /** @param capacity Records kept (oldest dropped first). */
  constructor(private readonly capacity = 1000) {}

  /** Adds a record and calls every subscriber. */
  push(t: FrameTiming): void {
    this.ring.push(t);
    if (this.ring.length > this.capacity) this.ring.shift();
    for (const l of this.listeners) l(t);
  }

  recent(count?: number): FrameTiming[] {
    return count === undefined ? this.ring.slice() : this.ring.slice(-count);
  }

  subscribe(listener: (timing: FrameTiming) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
