/**
 * A canvas-like object for `new WebGPURenderer({ canvas, device })` in Node. Its
 * `getContext('webgpu')` returns a host context whose `getCurrentTexture()` is a frame texture
 * Zerocast owns: the engine reads it after `renderer.render()` (NV12 conversion, readback).
 */
import { GPUDevice, GPUTexture, GPUTextureUsage } from './gpu.ts';

/** Usage every frame texture has, whatever `configure()` asks for. */
export const FRAME_TEXTURE_USAGE =
  GPUTextureUsage.RENDER_ATTACHMENT |
  GPUTextureUsage.TEXTURE_BINDING |
  GPUTextureUsage.COPY_SRC |
  GPUTextureUsage.COPY_DST;

/** What `configure()` was given (GPUCanvasConfiguration), with defaults filled in. */
export interface FrameContextConfiguration {
  device: GPUDevice;
  format: GPUTextureFormat;
  usage: number;
  viewFormats: GPUTextureFormat[];
  colorSpace: PredefinedColorSpace;
  alphaMode: GPUCanvasAlphaMode;
  toneMapping?: { mode?: string };
}

/** The `webgpu` context of a {@link FrameCanvas} (the GPUCanvasContext surface three.js uses). */
export class FrameContext {
  private config: FrameContextConfiguration | null = null;
  private texture: GPUTexture | null = null;
  /** Incremented every time the frame texture is (re)created. */
  generation = 0;

  constructor(readonly canvas: FrameCanvas) {}

  /** GPUCanvasContext.configure(): the frame texture is (re)created on the next getCurrentTexture(). */
  configure(config: {
    device: GPUDevice;
    format: GPUTextureFormat;
    usage?: number;
    viewFormats?: Iterable<GPUTextureFormat>;
    colorSpace?: PredefinedColorSpace;
    alphaMode?: GPUCanvasAlphaMode;
    toneMapping?: { mode?: string };
  }): void {
    if (!(config.device instanceof GPUDevice)) {
      throw new TypeError('FrameContext.configure: device must come from Zerocast navigator.gpu');
    }
    this.config = {
      device: config.device,
      format: config.format,
      usage: config.usage ?? GPUTextureUsage.RENDER_ATTACHMENT,
      viewFormats: config.viewFormats ? [...config.viewFormats] : [],
      colorSpace: config.colorSpace ?? 'srgb',
      alphaMode: config.alphaMode ?? 'opaque',
      toneMapping: config.toneMapping,
    };
    this.dropTexture();
  }

  /** GPUCanvasContext.unconfigure(): frees the frame texture. */
  unconfigure(): void {
    this.config = null;
    this.dropTexture();
  }

  /** GPUCanvasContext.getConfiguration(). */
  getConfiguration(): FrameContextConfiguration | null {
    return this.config ? { ...this.config } : null;
  }

  /**
   * The frame texture: `canvas.width` x `canvas.height`, the configured format (`rgba8unorm` by
   * default), usage RENDER_ATTACHMENT | TEXTURE_BINDING | COPY_SRC | COPY_DST | configured usage.
   * The same texture is returned until the canvas size or the configuration changes.
   * @throws Error (InvalidStateError) when the context is not configured.
   */
  getCurrentTexture(): GPUTexture {
    const c = this.config;
    if (!c)
      throw new DOMException('getCurrentTexture: context is not configured', 'InvalidStateError');
    const w = Math.max(1, Math.floor(this.canvas.width));
    const h = Math.max(1, Math.floor(this.canvas.height));
    const t = this.texture;
    if (t && t.width === w && t.height === h) return t;
    this.dropTexture();
    this.texture = c.device.createTexture({
      label: 'zerocast-frame',
      size: [w, h, 1],
      format: c.format,
      usage: FRAME_TEXTURE_USAGE | c.usage,
      viewFormats: c.viewFormats,
    });
    this.generation++;
    return this.texture;
  }

  /** The current frame texture without creating one (null before the first frame). */
  currentTexture(): GPUTexture | null {
    return this.texture;
  }

  private dropTexture(): void {
    this.texture?.destroy();
    this.texture = null;
  }
}

/** A DOM-free stand-in for HTMLCanvasElement, enough for three.js's CanvasTarget. */
export class FrameCanvas {
  width: number;
  height: number;
  readonly style: Record<string, string> = {};
  readonly isFrameCanvas = true;
  private context: FrameContext | null = null;
  private attributes = new Map<string, string>();

  constructor(width: number, height: number) {
    this.width = width;
    this.height = height;
  }

  /** Returns the frame context for `webgpu`, null for anything else (no WebGL here). */
  getContext(type: string): FrameContext | null {
    if (type !== 'webgpu') return null;
    return (this.context ??= new FrameContext(this));
  }

  /** The frame texture three.js renders into, or null before `configure()` (renderer.init()). */
  get frameTexture(): globalThis.GPUTexture | null {
    if (!this.context || !this.context.getConfiguration()) return null;
    return this.context.getCurrentTexture() as unknown as globalThis.GPUTexture;
  }

  /**
   * The frame texture (what the last `renderer.render()` drew), created at the canvas size if
   * needed. Typed as the WebGPU `GPUTexture` for use with the device from `navigator.gpu`.
   * @throws Error when the renderer has not configured the context yet (call renderer.init()).
   */
  currentTexture(): globalThis.GPUTexture {
    const ctx = this.context;
    if (!ctx || !ctx.getConfiguration()) {
      throw new Error(
        'FrameCanvas.currentTexture: no configured webgpu context (await renderer.init() first)',
      );
    }
    return ctx.getCurrentTexture() as unknown as globalThis.GPUTexture;
  }

  /** Sets the size in pixels; the frame texture is recreated at the next getCurrentTexture(). */
  resize(width: number, height: number): void {
    this.width = width;
    this.height = height;
  }

  get clientWidth(): number {
    return this.width;
  }
  get clientHeight(): number {
    return this.height;
  }

  getBoundingClientRect(): {
    x: number;
    y: number;
    left: number;
    top: number;
    right: number;
    bottom: number;
    width: number;
    height: number;
  } {
    return {
      x: 0,
      y: 0,
      left: 0,
      top: 0,
      right: this.width,
      bottom: this.height,
      width: this.width,
      height: this.height,
    };
  }

  addEventListener(_type: string, _listener: unknown, _options?: unknown): void {}
  removeEventListener(_type: string, _listener: unknown, _options?: unknown): void {}
  dispatchEvent(_event: unknown): boolean {
    return true;
  }
  setAttribute(name: string, value: string): void {
    this.attributes.set(name, String(value));
  }
  getAttribute(name: string): string | null {
    return this.attributes.get(name) ?? null;
  }
  hasAttribute(name: string): boolean {
    return this.attributes.has(name);
  }
  removeAttribute(name: string): void {
    this.attributes.delete(name);
  }
  focus(): void {}
}

/** A canvas-like object of `width` x `height` pixels for WebGPURenderer. */
export function createFrameCanvas(width: number, height: number): FrameCanvas {
  return new FrameCanvas(width, height);
}
