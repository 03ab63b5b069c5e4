/**
 * The engine: one live stream. It owns the GPU device, the three.js renderer, the current scene,
 * the NV12 converter and the shared H.264 encoder, runs the frame loop at the configured rate and
 * publishes access units to the outputs through {@link StreamSource}.
 *
 * One frame: scene.update → renderer.render (into the frame texture Zerocast owns) → NV12 compute
 * pass + copy to a staging buffer (same queue) → mapAsync readback → encode on the encoder's worker
 * thread → every output's `onAccessUnit`. Up to {@link MAX_IN_FLIGHT} frames overlap; a frame that
 * would exceed that is dropped (and recorded as dropped) rather than queued, so latency stays bounded.
 *
 * Zero-copy (Linux/NVIDIA, issue 4): the device is opened exportable and the converter writes a
 * ring of exported NV12 targets (main/convert/nv12.ts) that the encoder imports into CUDA once.
 * When the chosen encoder can encode them (`canEncodeExported`: NVENC in place, or OpenH264 fed
 * by a CUDA copy), a frame is render → NV12 pass (its submit signals the slot's timeline with the
 * frame number) → `encodeExported(frameNumber, pts, slot)`: no mapAsync on the encode path; the
 * slot is reused only after that encode settled. NV12 bytes for `onFrame` listeners (RFB
 * ZRLE/Raw) and {@link Engine.latestFrame} are then read back separately (a staging copy in the
 * same submit, mapped off the encode path) only while someone wants them: while a listener with
 * `onFrame` is subscribed, or for 5 s after a `latestFrame()` call. Set ZEROCAST_EXPORT=off to
 * force the mapAsync path. Teardown: loop → encoder.close() (CUDA imports) → converter (Vulkan
 * buffers, semaphores) → device.
 */
import type {
  AccessUnit,
  EncoderConfig,
  FrameStages,
  H264Encoder,
  Nv12Frame,
  StreamListener,
  StreamSource,
} from './contracts.ts';
import { SEND_STAGE_TIMEOUT_MS } from './contracts.ts';
import { FrameTimingRing } from './frame-timing.ts';
import { Nv12Converter, type Nv12Job } from '../convert/nv12.ts';
import {
  findScene,
  type SceneDefinition,
  type SceneInstance,
  type Three,
} from '../scenes/index.ts';
import {
  canEncodeExported,
  describeChain,
  selectEncoder,
  type EncoderSelection,
  type TimedAccessUnit,
} from '../encode/index.ts';
import {
  createFrameCanvas,
  installWebGPU,
  type AdapterReport,
  type FrameCanvas,
} from '../webgpu/index.ts';
import { GpuStageTimer } from '../webgpu/timestamps.ts';
import type { Logger } from './log.ts';
import { CameraControl } from './camera-control.ts';
import { validateSize, type StreamSettings } from './settings.ts';

export { DEFAULT_SETTINGS, validateSize, type StreamSettings } from './settings.ts';

/** Frames that may be between render and encoded output at once. */
export const MAX_IN_FLIGHT = 3;

/** What `GET /api/status` reports about the engine. */
export interface EngineStatus {
  adapter: AdapterReport;
  encoder: { name: string; chain: EncoderSelection['chain']; input: EncoderSelection['input'] };
  settings: StreamSettings;
  live: boolean;
  framesRendered: number;
  framesEncoded: number;
  framesDropped: number;
  /** Frames encoded per second over the last second. */
  fps: number;
}

/** The live stream. Create with {@link Engine.create}; call {@link start}; {@link stop} frees everything. */
export class Engine implements StreamSource {
  readonly timing = new FrameTimingRing();
  /** Viewer input (RFB pointer/keys) that orbits and zooms the camera when interaction is on. */
  readonly input = new CameraControl();
  private readonly listeners = new Set<StreamListener>();
  private settings: StreamSettings;
  private renderer!: InstanceType<Three['WebGPURenderer']>;
  private canvas!: FrameCanvas;
  private converter!: Nv12Converter;
  private encoder!: H264Encoder;
  private encoderChoice!: EncoderSelection;
  private sceneDef!: SceneDefinition;
  private sceneInstance!: SceneInstance;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private nextFrameId = 0;
  private nextTickMs = 0;
  private startMs = 0;
  private inFlight = 0;
  private inFlightDone: Promise<void> = Promise.resolve();
  private latest: Nv12Frame | undefined;
  private isLive = false;
  private counters = { rendered: 0, encoded: 0, dropped: 0 };
  private encodedTimes: number[] = [];
  /** Bumped when the encoder or converter is replaced, so late results of the old one are ignored. */
  private generation = 0;
  /** Set by stop(): a device loss from then on is the engine's own teardown, not a failure. */
  private stopping = false;
  /** True while reconfigure() swaps encoder and converter: frames are dropped meanwhile. */
  private swapping = false;
  /** performance.now() of the last latestFrame() call (zero-copy path: read back while wanted). */
  private latestWantedAt = Number.NEGATIVE_INFINITY;

  private constructor(
    private readonly THREE: Three,
    private device: GPUDevice,
    readonly adapter: AdapterReport,
    private readonly log: Logger,
    settings: StreamSettings,
  ) {
    const { scene, width, height, fps, bitrate, keyframeInterval } = settings;
    this.settings = { scene, width, height, fps, bitrate, keyframeInterval };
  }

  /**
   * Opens the GPU (hardware adapter, else lavapipe), the renderer, the scene and the encoder.
   * @throws Error naming what to install when no GPU adapter or encoder library is usable, or
   *   listing the scenes when `settings.scene` is unknown.
   */
  static async create(settings: StreamSettings, log: Logger): Promise<Engine> {
    const sceneDef = findScene(settings.scene);
    validateSize(settings.width, settings.height);
    const { device, report } = await openDevice();
    const THREE = (await import('three/webgpu')) as Three;
    const engine = new Engine(THREE, device, report, log, settings);
    await engine.open(sceneDef);
    return engine;
  }

  private async open(sceneDef: SceneDefinition): Promise<void> {
    await this.openRendering(sceneDef);
    this.openEncoder();
    this.watchDevice();
  }

  /** Canvas, renderer, NV12 converter and scene instance on the current device. */
  private async openRendering(sceneDef: SceneDefinition): Promise<void> {
    const { width, height } = this.settings;
    this.canvas = createFrameCanvas(width, height);
    this.renderer = new this.THREE.WebGPURenderer({
      canvas: this.canvas as unknown as HTMLCanvasElement,
      device: this.device,
      antialias: false,
    });
    await this.renderer.init();
    const backend = this.renderer.backend as { isWebGPUBackend?: boolean };
    if (!backend.isWebGPUBackend) {
      throw new Error('three.js fell back to WebGL: the WebGPU bridge did not initialise');
    }
    this.renderer.setPixelRatio(1);
    this.renderer.setSize(width, height, false);
    this.converter = this.createConverter(width, height);
    this.gpuTimer = GpuStageTimer.create(this.device, 3, MAX_IN_FLIGHT + 1);
    this.useScene(sceneDef);
  }

  /** GPU timestamps of the render and convert stages; null without `timestamp-query`. */
  private gpuTimer: GpuStageTimer | null = null;

  /** Recovers from a loss of the current device (see {@link recoverDevice}). */
  private watchDevice(): void {
    const device = this.device;
    void device.lost.then((info) => {
      if (this.stopping || device !== this.device) return;
      void this.recoverDevice(info).catch((error: unknown) => {
        this.log.error({ err: error }, 'GPU device recovery failed; the stream stays stopped');
        this.running = false;
        this.isLive = false;
      });
    });
  }

  /**
   * After `device.lost` (driver reset, GPU removed, or `destroy()` by someone other than
   * {@link stop}): opens a new device and rebuilds the renderer, the NV12 converter and the scene
   * on it; the encoder and every output stay (the next access unit is an IDR). On the zero-copy path
   * the encoder imported the old device's exported ring, so it is reopened on the new ring.
   * Frames meanwhile are dropped as `reconfiguring`.
   */
  private async recoverDevice(info: GPUDeviceLostInfo): Promise<void> {
    this.log.warn({ reason: info.reason, message: info.message }, 'GPU device lost; recreating it');
    this.generation++;
    this.swapping = true;
    try {
      // Frames in flight on the dead device may never settle: wait a little, not forever.
      await Promise.race([this.inFlightDone, new Promise((r) => setTimeout(r, 2000))]);
      const reopenEncoder = this.converter.exported;
      if (reopenEncoder) await this.encoder.close().catch(() => undefined);
      for (const free of [
        () => this.sceneInstance.dispose(),
        () => this.converter.dispose(),
        () => this.renderer.dispose(),
        () => this.gpuTimer?.destroy(),
      ]) {
        try {
          free();
        } catch {
          // objects of a lost device: nothing to free on the GPU any more
        }
      }
      this.sceneInstance = undefined as unknown as SceneInstance;
      const { device } = await openDevice();
      this.device = device;
      this.latest = undefined;
      await this.openRendering(this.sceneDef);
      if (reopenEncoder) this.openEncoder();
      else this.encoder.requestKeyframe();
      this.deviceRecoveries++;
      this.watchDevice();
      this.log.info({ recoveries: this.deviceRecoveries }, 'GPU device recreated; streaming on');
    } finally {
      this.swapping = false;
    }
  }

  /** How many times the engine recreated a lost GPU device. */
  deviceRecoveries = 0;

  /**
   * The GPU device frames are rendered on now (it changes after a device loss). For tests, benchmarks
   * and diagnostics (e.g. `zerocastMemoryReport()`); don't hold on to it across frames.
   */
  get gpuDevice(): GPUDevice {
    return this.device;
  }

  /** The NV12 converter for a size: a ring of exported targets where the device can export. */
  private createConverter(width: number, height: number): Nv12Converter {
    return new Nv12Converter(this.device, width, height, {
      export: exportDisabled() ? 'off' : 'auto',
    });
  }

  /**
   * Selects the encoder for the current converter (handing it the exported ring, or why there is
   * none), logs the chain and keeps it for {@link status}.
   */
  private openEncoder(): void {
    const gpu = exportDisabled()
      ? { unavailable: 'disabled by ZEROCAST_EXPORT=off' }
      : this.converter.encoderTarget();
    this.encoderChoice = selectEncoder(this.encoderConfig(), { gpu });
    this.encoder = this.encoderChoice.encoder;
    // One line: the chain with the reason of each fallback (also in status().encoder.chain).
    this.log.info(
      `encoder: ${describeChain(this.encoderChoice.chain)} (input ${this.encoderChoice.input})`,
    );
  }

  private encoderConfig(): EncoderConfig {
    const { width, height, fps, bitrate, keyframeInterval } = this.settings;
    return { width, height, fps, bitrate, keyframeInterval };
  }

  private useScene(def: SceneDefinition): void {
    const old = this.sceneInstance;
    this.sceneDef = def;
    this.sceneInstance = def.create({
      THREE: this.THREE,
      width: this.settings.width,
      height: this.settings.height,
    });
    this.renderer.shadowMap.enabled = def.shadows;
    old?.dispose();
  }

  // ---- StreamSource ----

  get width(): number {
    return this.settings.width;
  }
  get height(): number {
    return this.settings.height;
  }
  get fps(): number {
    return this.settings.fps;
  }
  get live(): boolean {
    return this.isLive;
  }

  subscribe(listener: StreamListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  requestKeyframe(reason: string): void {
    this.log.debug({ reason }, 'keyframe requested');
    this.encoder.requestKeyframe();
  }

  latestFrame(): Nv12Frame | undefined {
    this.latestWantedAt = performance.now();
    return this.latest;
  }

  // ---- control ----

  /** The settings in force. */
  get current(): Readonly<StreamSettings> {
    return this.settings;
  }

  /** The scene being shown. */
  get scene(): SceneDefinition {
    return this.sceneDef;
  }

  /** Starts the frame loop. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.startMs = performance.now();
    this.nextTickMs = this.startMs;
    this.schedule();
  }

  /** Switches to another built-in scene from the next frame on. @throws Error listing the scenes. */
  setScene(name: string): void {
    const def = findScene(name);
    this.useScene(def);
    this.settings.scene = def.name;
    this.logSceneChange();
  }

  /**
   * Shows a scene that is not built in (a loaded glTF model, see main/scenes/gltf.ts) from the next
   * frame on; `current.scene` becomes its name. The previous scene instance is disposed.
   */
  showScene(def: SceneDefinition): void {
    this.useScene(def);
    this.settings.scene = def.name;
    this.logSceneChange();
  }

  /** A scene change is news while streaming; before start (thumbnails, set-up) it is detail. */
  private logSceneChange(): void {
    const scene = this.settings.scene;
    if (this.running) this.log.info({ scene }, 'scene changed');
    else this.log.debug({ scene }, 'scene changed');
  }

  /** Changes the target bitrate (bits/s) live. @throws RangeError outside 50 kbit/s .. 200 Mbit/s. */
  setBitrate(bitsPerSecond: number): void {
    if (!Number.isFinite(bitsPerSecond) || bitsPerSecond < 50_000 || bitsPerSecond > 200_000_000) {
      throw new RangeError(`bitrate must be 50000..200000000 bits/s, got ${bitsPerSecond}`);
    }
    this.settings.bitrate = Math.round(bitsPerSecond);
    this.encoder.setBitrate(this.settings.bitrate);
    this.log.info({ bitrate: this.settings.bitrate }, 'bitrate changed');
  }

  /**
   * Changes size, frame rate or keyframe interval live: the converter and the encoder are
   * recreated (the next access unit is an IDR) and listeners get `onResize` on a size change.
   * @throws RangeError on an odd or out-of-range size, fps outside 1..240 or interval < 1.
   */
  async reconfigure(
    changes: Partial<Pick<StreamSettings, 'width' | 'height' | 'fps' | 'keyframeInterval'>>,
  ): Promise<void> {
    const next = { ...this.settings, ...changes };
    validateSize(next.width, next.height);
    if (!(next.fps >= 1 && next.fps <= 240))
      throw new RangeError(`fps must be 1..240, got ${next.fps}`);
    if (!(next.keyframeInterval >= 1))
      throw new RangeError(`keyframe interval must be >= 1, got ${next.keyframeInterval}`);
    const resized = next.width !== this.settings.width || next.height !== this.settings.height;
    this.generation++;
    this.swapping = true;
    try {
      await this.inFlightDone;
      this.settings = next;
      // Teardown order: the old encoder (and its CUDA imports of the exported ring) first, then
      // the converter's Vulkan objects. An exported ring was handed to that encoder, so a new
      // encoder needs a new ring even at the same size.
      await this.encoder.close();
      if (resized) {
        this.canvas.resize(next.width, next.height);
        this.renderer.setSize(next.width, next.height, false);
        this.sceneInstance.resize(next.width, next.height);
        this.latest = undefined;
      }
      if (resized || this.converter.exported) {
        this.converter.dispose();
        this.converter = this.createConverter(next.width, next.height);
      }
      this.openEncoder();
    } finally {
      this.swapping = false;
    }
    if (resized) for (const l of this.listeners) l.onResize?.(next.width, next.height);
    this.log.info({ ...changes }, 'stream reconfigured');
  }

  /** Status for the API and the UI. */
  status(): EngineStatus {
    const now = performance.now();
    this.encodedTimes = this.encodedTimes.filter((t) => now - t <= 1000);
    return {
      adapter: this.adapter,
      encoder: {
        name: this.encoder.name,
        chain: this.encoderChoice.chain,
        input: this.encoderChoice.input,
      },
      settings: { ...this.settings },
      live: this.isLive,
      framesRendered: this.counters.rendered,
      framesEncoded: this.counters.encoded,
      framesDropped: this.counters.dropped,
      fps: this.encodedTimes.length,
    };
  }

  /**
   * Renders, converts and encodes one frame at `timeMs` outside the loop and resolves with its
   * NV12 bytes and access unit (for tests and benchmarks). Listeners are called as for a live frame.
   */
  async renderOnce(
    timeMs?: number,
  ): Promise<{ frame: Nv12Frame; au: AccessUnit | null; stages: FrameStages }> {
    const result = await this.frame(timeMs ?? this.nextFrameId * (1000 / this.settings.fps), true);
    if (!result?.frame) throw new Error('frame dropped: the pipeline is full');
    return { ...result, frame: result.frame };
  }

  /** Stops the loop, waits for frames in flight and frees the encoder, GPU objects and device. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlightDone;
    this.isLive = false;
    await this.encoder?.close();
    this.sceneInstance?.dispose();
    this.converter?.dispose();
    this.renderer?.dispose();
    this.gpuTimer?.destroy();
    this.device.destroy();
    this.listeners.clear();
  }

  // ---- the frame loop ----

  private schedule(): void {
    if (!this.running) return;
    const interval = 1000 / this.settings.fps;
    this.nextTickMs += interval;
    const now = performance.now();
    if (this.nextTickMs < now - interval) this.nextTickMs = now; // fell behind: don't burst
    this.timer = setTimeout(
      () => {
        this.schedule();
        void this.frame(performance.now() - this.startMs);
      },
      Math.max(0, this.nextTickMs - now),
    );
  }

  /** Whether NV12 bytes are wanted on the CPU (zero-copy path): onFrame listeners, latestFrame(). */
  private wantsFrames(): boolean {
    if (performance.now() - this.latestWantedAt < 5000) return true;
    for (const l of this.listeners) {
      if (typeof l.onFrame === 'function' && (l.wantsFrames?.() ?? true)) return true;
    }
    return false;
  }

  /** Counts frame `id` as dropped and records its timing with the stages it got through. */
  private recordDrop(id: number, startMs: number, stages: FrameStages, reason: string): void {
    this.counters.dropped++;
    this.timing.push({ id, startMs, stages, bytes: 0, keyframe: false, dropped: reason });
  }

  private async frame(
    ptsMs: number,
    readback = false,
  ): Promise<
    { frame: Nv12Frame | undefined; au: AccessUnit | null; stages: FrameStages } | undefined
  > {
    const id = this.nextFrameId++;
    const startMs = Date.now();
    if (this.swapping) {
      this.recordDrop(id, startMs, {}, 'reconfiguring');
      return undefined;
    }
    if (this.inFlight >= MAX_IN_FLIGHT || !this.converter.canConvert) {
      this.recordDrop(id, startMs, {}, 'pipeline-full');
      return undefined;
    }
    const generation = this.generation;
    this.inFlight++;
    let release!: () => void;
    const previous = this.inFlightDone;
    const mine = new Promise<void>((resolve) => (release = resolve));
    this.inFlightDone = Promise.all([previous, mine]).then(() => undefined);
    const stages: FrameStages = {};
    // GPU timestamps around render and convert where the adapter has `timestamp-query`.
    const marks = this.gpuTimer?.begin() ?? null;
    let gpuRead: Promise<number[] | null> | undefined;
    try {
      const t0 = performance.now();
      this.sceneInstance.update(ptsMs, id);
      this.input.apply(this.sceneInstance.camera, this.sceneInstance.target);
      marks?.mark(0);
      this.renderer.render(this.sceneInstance.scene, this.sceneInstance.camera);
      marks?.mark(1);
      const t1 = performance.now();
      stages.render = t1 - t0;
      const converter = this.converter;
      const encoder = this.encoder;
      // Zero-copy: the encoder reads the exported slot after waiting for its timeline value.
      const zeroCopy = converter.semaphores && canEncodeExported(encoder);
      const job: Nv12Job = converter.convert(this.canvas.currentTexture(), {
        readback: !zeroCopy || readback || this.wantsFrames(),
      });
      const t2 = performance.now();
      stages.convert = t2 - t1;
      if (marks) {
        marks.mark(2);
        gpuRead = marks.read();
      }
      let t3 = t2;
      let frame: Nv12Frame | undefined;
      let au: AccessUnit | null;
      const encoding = zeroCopy
        ? encoder.encodeExported(job.frameNumber, ptsMs, job.slot, id)
        : undefined;
      encoding?.catch(() => undefined); // awaited below; no unhandled rejection meanwhile
      try {
        if (job.done) {
          const data = await job.done;
          t3 = performance.now();
          stages.readback = t3 - t2;
          frame = {
            id,
            width: converter.width,
            height: converter.height,
            pitch: converter.pitch,
            data,
            ptsMs,
          };
        }
        this.counters.rendered++;
        if (generation !== this.generation) return undefined;
        if (frame) {
          this.latest = frame;
          for (const l of this.listeners) l.onFrame?.(frame);
        }
        au = encoding ? await encoding : await encoder.encode(frame!);
      } finally {
        // The slot may be written again only once nothing reads it (no torn frames).
        if (encoding) await encoding.catch(() => undefined);
        job.release();
      }
      const t4 = performance.now();
      const timed = au as TimedAccessUnit | null;
      stages.encode = timed?.encodeMs ?? t4 - t3;
      // Zero-copy: what gates the encoder is its own transfer (semaphore wait, CUDA copy), not the
      // side readback some listeners may want.
      if (zeroCopy && timed) stages.readback = timed.transferMs;
      if (generation !== this.generation) return undefined;
      if (au) {
        this.counters.encoded++;
        this.encodedTimes.push(t4);
        if (this.encodedTimes.length > 512) this.encodedTimes.splice(0, 256);
        this.isLive = true;
        const sent: Promise<void>[] = [];
        for (const l of this.listeners) {
          try {
            const out = l.onAccessUnit?.(au);
            if (out) sent.push(out);
          } catch (error) {
            this.log.error({ err: error }, 'an output failed to take an access unit');
          }
        }
        // send = access unit ready → on the wire for every viewer (first packet out of the last one).
        if (sent.length > 0) await settledWithin(sent, SEND_STAGE_TIMEOUT_MS);
        stages.send = performance.now() - t4;
      }
      const gpu = gpuRead ? await gpuRead : null;
      this.timing.push({
        id,
        startMs,
        stages,
        ...(gpu ? { gpuStages: { render: gpu[0]!, convert: gpu[1]! } } : {}),
        bytes: au?.data.byteLength ?? 0,
        keyframe: au?.keyframe ?? false,
      });
      return { frame, au, stages };
    } catch (error) {
      this.recordDrop(id, startMs, stages, 'error');
      if (this.running) this.log.error({ err: error, frame: id }, 'frame failed');
      else throw error;
      return undefined;
    } finally {
      if (marks && !gpuRead) void marks.read(); // frees the query slot of a failed frame
      this.inFlight--;
      release();
    }
  }
}

/**
 * Opens the GPU: WebGPU installed, a high-performance adapter (hardware, else lavapipe), a device
 * with every adapter feature and, unless ZEROCAST_EXPORT=off, Vulkan export (zero-copy).
 * @throws Error naming what to install when there is no adapter.
 */
async function openDevice(): Promise<{ device: GPUDevice; report: AdapterReport }> {
  const { gpu, adapter: report } = await installWebGPU();
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter)
    throw new Error('no WebGPU adapter: install a Vulkan driver (Debian: mesa-vulkan-drivers)');
  const device = await adapter.requestDevice({
    requiredFeatures: [...adapter.features] as GPUFeatureName[],
    // Zerocast extension: VK_KHR_external_memory_fd/semaphore_fd where available (zero-copy).
    zerocastExportable: !exportDisabled(),
  } as GPUDeviceDescriptor);
  return { device, report };
}

/** True when ZEROCAST_EXPORT=off forces the mapAsync path (no exportable device, no CUDA). */
function exportDisabled(): boolean {
  return process.env.ZEROCAST_EXPORT === 'off';
}

/** Resolves once every promise settled or `ms` passed, whichever comes first; never rejects. */
function settledWithin(promises: readonly Promise<unknown>[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([Promise.allSettled(promises).then(() => undefined), timeout]).finally(() =>
    clearTimeout(timer),
  );
}
