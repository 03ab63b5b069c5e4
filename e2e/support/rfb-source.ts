/**
 * Test support (not product): a deterministic NV12 test pattern and a {@link StreamSource} that
 * plays it with real H.264 access units from Debian's ffmpeg (libx264, constrained baseline,
 * one slice per picture, SPS/PPS before every IDR).
 *
 * The pattern: eight 75% colour bars over the top two thirds (values in {@link TEST_BARS_RGB}, converted
 * to BT.709 limited range), and below them a dark band with a moving white square and a 16-bit
 * frame counter (white = 1). The frames are encoded once at start-up as a loop of
 * `loopFrames` pictures (GOP `keyint`), then played at `fps`; `requestKeyframe` makes the next
 * picture played the next IDR of the loop (as a real encoder would), and counts the requests.
 */
import { spawn } from 'node:child_process';
import type {
  AccessUnit,
  Nv12Frame,
  StreamListener,
  StreamSource,
} from '../../main/engine/contracts.ts';
import { nv12Pitch, rgbToYcbcr } from '../../main/convert/bt709.ts';
import { TEST_BARS_RGB as BARS } from '../../main/encode/testframes.ts';
import { splitAccessUnits } from '../../main/outputs/whep/h264.ts';

/** Colour of the band under the bars. */
export const BAND: readonly [number, number, number] = [32, 32, 32];

/** Left edge (even) of bar `i` (0..8; 8 gives the right edge of the last bar). */
export function barEdge(i: number, width: number): number {
  return Math.round((i * width) / 16) * 2;
}

/** Height of the bar area. */
export function barsHeight(height: number): number {
  return Math.round((height * 2) / 3 / 2) * 2;
}

/** Points well inside each bar (x, y in pixels), with the bar's expected RGB. */
export function barSamples(
  width: number,
  height: number,
): { x: number; y: number; rgb: readonly [number, number, number] }[] {
  const out: { x: number; y: number; rgb: readonly [number, number, number] }[] = [];
  for (let i = 0; i < 8; i++) {
    const x0 = barEdge(i, width);
    const x1 = barEdge(i + 1, width);
    const cx = Math.round((x0 + x1) / 2);
    for (const fy of [0.25, 0.5, 0.75]) {
      out.push({ x: cx, y: Math.round(barsHeight(height) * fy), rgb: BARS[i]! });
    }
  }
  return out;
}

/**
 * The largest per-channel difference between a picture of the pattern and the bars' RGB, over
 * {@link barSamples}; `rgbAt(x, y)` reads the picture's R, G, B at a pixel.
 */
export function worstBarError(
  width: number,
  height: number,
  rgbAt: (x: number, y: number) => ArrayLike<number>,
): number {
  let worst = 0;
  for (const s of barSamples(width, height)) {
    const px = rgbAt(s.x, s.y);
    for (let k = 0; k < 3; k++) worst = Math.max(worst, Math.abs(px[k]! - s.rgb[k]!));
  }
  return worst;
}

/** Renders pattern frame `n` as NV12 with a pitch of {@link nv12Pitch}(width). */
export function renderPattern(n: number, width: number, height: number): Uint8Array {
  const pitch = nv12Pitch(width);
  const data = new Uint8Array((pitch * height * 3) / 2);
  const bh = barsHeight(height);
  const band = rgbToYcbcr(...BAND);
  const white = rgbToYcbcr(255, 255, 255);
  const yRow = new Uint8Array(pitch);
  const cRow = new Uint8Array(pitch);
  for (let i = 0; i < 8; i++) {
    const [y, cb, cr] = rgbToYcbcr(...BARS[i]!);
    for (let x = barEdge(i, width); x < barEdge(i + 1, width); x++) {
      yRow[x] = y;
      cRow[x] = x % 2 === 0 ? cb : cr;
    }
  }
  const uv = pitch * height;
  for (let y = 0; y < height; y++) {
    if (y < bh) data.set(yRow, y * pitch);
    else data.fill(band[0], y * pitch, y * pitch + width);
  }
  for (let y = 0; y < height / 2; y++) {
    if (y * 2 < bh) data.set(cRow, uv + y * pitch);
    else for (let x = 0; x < width; x += 2) data.set([band[1], band[2]], uv + y * pitch + x);
  }
  const rect = (x0: number, y0: number, w: number, h: number, c: [number, number, number]) => {
    for (let y = y0; y < y0 + h; y++) data.fill(c[0], y * pitch + x0, y * pitch + x0 + w);
    for (let y = y0 / 2; y < (y0 + h) / 2; y++) {
      for (let x = x0; x < x0 + w; x += 2) data.set([c[1], c[2]], uv + y * pitch + x);
    }
  };
  // Moving square (even size and position), then the frame counter.
  const side = Math.max(2, Math.round((height - bh) / 3 / 2) * 2);
  const span = width - side;
  const sx = Math.round(((n * 8) % (2 * span)) / 2) * 2;
  const x = sx <= span ? sx : 2 * span - sx;
  rect(Math.min(span, Math.max(0, x)) & ~1, bh + 2 + (bh % 2), side, side, white);
  const cell = Math.max(2, Math.floor(width / 32 / 2) * 2);
  const cy = Math.min(height - cell, bh + side + 8) & ~1;
  for (let b = 0; b < 16; b++) {
    if ((n >> (15 - b)) & 1) rect(b * cell * 2, cy, cell, cell, white);
  }
  return data;
}

/**
 * Encodes NV12 frames (pitch = {@link nv12Pitch}) with ffmpeg/libx264 into Annex B access units.
 * @throws Error when ffmpeg fails or yields a different number of pictures.
 */
export async function encodeWithFfmpeg(
  frames: Uint8Array[],
  width: number,
  height: number,
  fps: number,
  keyint: number,
): Promise<{ data: Uint8Array; keyframe: boolean }[]> {
  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'nv12',
    '-s',
    `${width}x${height}`,
    '-r',
    String(fps),
    '-i',
    '-',
    '-c:v',
    'libx264',
    '-profile:v',
    'baseline',
    '-preset',
    'ultrafast',
    '-crf',
    '18',
    '-x264-params',
    `keyint=${keyint}:min-keyint=${keyint}:scenecut=0:bframes=0:ref=1:threads=1:sliced-threads=0:repeat-headers=1`,
    '-color_range',
    'tv',
    '-colorspace',
    'bt709',
    '-color_primaries',
    'bt709',
    '-color_trc',
    'bt709',
    '-f',
    'h264',
    '-',
  ];
  const ff = spawn('ffmpeg', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  ff.stdout.on('data', (c: Buffer) => out.push(c));
  ff.stderr.on('data', (c: Buffer) => err.push(c));
  const done = new Promise<number>((resolve, reject) => {
    ff.on('error', reject);
    ff.on('close', (code) => resolve(code ?? -1));
  });
  const pitch = nv12Pitch(width);
  for (const f of frames) {
    const plain = Buffer.allocUnsafe((width * height * 3) / 2);
    for (let y = 0; y < (height * 3) / 2; y++) {
      plain.set(f.subarray(y * pitch, y * pitch + width), y * width);
    }
    if (!ff.stdin.write(plain)) await new Promise((r) => ff.stdin.once('drain', r));
  }
  ff.stdin.end();
  const code = await done;
  if (code !== 0) throw new Error(`ffmpeg failed (${code}): ${Buffer.concat(err).toString()}`);
  const units = splitAccessUnits(Buffer.concat(out));
  if (units.length !== frames.length) {
    throw new Error(`ffmpeg produced ${units.length} access units for ${frames.length} frames`);
  }
  return units;
}

/** Options of {@link TestPatternSource}. */
export interface TestPatternOptions {
  width: number;
  height: number;
  fps?: number;
  /** Pictures in the loop (a multiple of `keyint`; default 2 * keyint). */
  loopFrames?: number;
  /** GOP length (default `fps`). */
  keyint?: number;
}

/** A {@link StreamSource} playing the test pattern with real H.264; see the module doc. */
export class TestPatternSource implements StreamSource {
  width: number;
  height: number;
  readonly fps: number;
  live = false;
  /** Reasons passed to {@link requestKeyframe}, in order. */
  readonly keyframeRequests: string[] = [];
  /** Frames emitted so far. */
  emitted = 0;
  private readonly listeners = new Set<StreamListener>();
  private frames: Uint8Array[] = [];
  private units: { data: Uint8Array; keyframe: boolean }[] = [];
  private readonly keyint: number;
  private readonly loopFrames: number;
  private pos = 0;
  private nextId = 0;
  private timer: NodeJS.Timeout | undefined;
  private latest: Nv12Frame | undefined;
  private wantKey = false;
  private t0 = 0;

  constructor(opts: TestPatternOptions) {
    this.width = opts.width;
    this.height = opts.height;
    this.fps = opts.fps ?? 30;
    this.keyint = opts.keyint ?? this.fps;
    this.loopFrames = opts.loopFrames ?? 2 * this.keyint;
  }

  /** Renders and encodes the loop (ffmpeg), then starts playing at `fps`. */
  async start(): Promise<void> {
    await this.prepare(this.width, this.height);
    this.t0 = Date.now();
    this.live = true;
    this.timer = setInterval(() => this.tick(), 1000 / this.fps);
  }

  private async prepare(width: number, height: number): Promise<void> {
    const frames: Uint8Array[] = [];
    for (let n = 0; n < this.loopFrames; n++) frames.push(renderPattern(n, width, height));
    this.units = await encodeWithFfmpeg(frames, width, height, this.fps, this.keyint);
    this.frames = frames;
    this.pos = 0;
  }

  /** Changes the size: re-encodes, announces `onResize`, continues with an IDR. */
  async resize(width: number, height: number): Promise<void> {
    const wasLive = this.live;
    this.stop();
    await this.prepare(width, height);
    this.width = width;
    this.height = height;
    for (const l of this.listeners) l.onResize?.(width, height);
    if (wasLive) {
      this.live = true;
      this.timer = setInterval(() => this.tick(), 1000 / this.fps);
    }
  }

  /** Emits one frame now (also used by tests that drive time themselves). */
  tick(): void {
    if (this.wantKey && this.pos % this.keyint !== 0) {
      this.pos = (Math.ceil(this.pos / this.keyint) * this.keyint) % this.loopFrames;
    }
    this.wantKey = false;
    const k = this.pos;
    this.pos = (this.pos + 1) % this.loopFrames;
    const id = this.nextId++;
    const ptsMs = Date.now() - this.t0;
    const frame: Nv12Frame = {
      id,
      width: this.width,
      height: this.height,
      pitch: nv12Pitch(this.width),
      data: this.frames[k]!,
      ptsMs,
    };
    const u = this.units[k]!;
    const au: AccessUnit = {
      frameId: id,
      ptsMs,
      keyframe: u.keyframe,
      data: u.data,
      width: this.width,
      height: this.height,
    };
    this.latest = frame;
    this.emitted++;
    for (const l of this.listeners) {
      l.onFrame?.(frame);
      l.onAccessUnit?.(au);
    }
  }

  /** Stops playing (the loop stays prepared). */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.live = false;
  }

  subscribe(listener: StreamListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  requestKeyframe(reason: string): void {
    this.keyframeRequests.push(reason);
    this.wantKey = true;
  }

  latestFrame(): Nv12Frame | undefined {
    return this.latest;
  }
}
