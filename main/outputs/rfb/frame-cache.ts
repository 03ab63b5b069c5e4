/**
 * Frames for the ZRLE/Raw clients (RFC 6143 §7.6.1 Raw, rfbproto ZRLE uncompressed tile data):
 * {@link SharedFrame}, one NV12 frame with its conversions computed at most once per pixel format
 * (the work itself, done on the pixel worker thread, see ./pixel-thread.ts), and
 * {@link ConvertedFrame}, the results of that work on the main thread, shared by every client
 * using the same format.
 */
import type { Nv12Frame } from '../../engine/contracts.ts';
import {
  nv12ToPixelValues,
  nv12ToRgb,
  pixelFormatKey,
  writePixels,
  type PixelFormat,
} from './pixel-format.ts';
import { encodeZrleTiles } from './zrle.ts';

/** What a client is sent: ZRLE tile data (uncompressed) or Raw pixels. */
export type PixelKind = 'zrle' | 'raw';

/** The cache key of the `kind` data of pixel format `pf`. */
export function pixelWantKey(pf: PixelFormat, kind: PixelKind): string {
  return `${kind}/${pixelFormatKey(pf)}`;
}

/**
 * One frame's conversions, as they come back from the pixel thread: for each pixel format in
 * use, the uncompressed ZRLE tile data or the Raw pixels of the whole frame.
 */
export class ConvertedFrame {
  private readonly data = new Map<string, Buffer>();

  constructor(
    /** Frame id (see `Nv12Frame.id`). */
    readonly id: number,
    readonly width: number,
    readonly height: number,
  ) {}

  /** The `kind` data of the frame in `pf`, once converted. */
  get(pf: PixelFormat, kind: PixelKind): Buffer | undefined {
    return this.data.get(pixelWantKey(pf, kind));
  }

  /** Whether the data under `key` ({@link pixelWantKey}) is here. */
  has(key: string): boolean {
    return this.data.has(key);
  }

  /** Adds converted data (wrapped, not copied). */
  add(out: readonly { key: string; data: Uint8Array }[]): void {
    for (const o of out) {
      this.data.set(o.key, Buffer.from(o.data.buffer, o.data.byteOffset, o.data.byteLength));
    }
  }
}

interface PerFormat {
  px: Uint32Array;
  zrle?: Buffer;
  raw?: Buffer;
}

/** A frame and its lazily computed conversions. */
export class SharedFrame {
  private rgb: Uint8Array | undefined;
  private readonly formats = new Map<string, PerFormat>();

  /** @param frame an NV12 frame this object owns (its `data` must not change). */
  constructor(readonly frame: Nv12Frame) {}

  /** Frame id (see `Nv12Frame.id`). */
  get id(): number {
    return this.frame.id;
  }
  get width(): number {
    return this.frame.width;
  }
  get height(): number {
    return this.frame.height;
  }

  /** Copies an NV12 frame handed out by the engine (valid only during its callback). */
  static copyOf(frame: Nv12Frame): SharedFrame {
    const bytes = (frame.pitch * frame.height * 3) / 2;
    const data = new Uint8Array(bytes);
    data.set(frame.data.subarray(0, bytes));
    return new SharedFrame({ ...frame, data });
  }

  /** Packed RGB888 of the frame (BT.709 limited-range inverse). */
  rgb888(): Uint8Array {
    this.rgb ??= nv12ToRgb(this.frame);
    return this.rgb;
  }

  private per(pf: PixelFormat): PerFormat {
    const key = pixelFormatKey(pf);
    let e = this.formats.get(key);
    if (!e) {
      e = { px: nv12ToPixelValues(this.frame, pf) };
      this.formats.set(key, e);
    }
    return e;
  }

  /** Pixel values in `pf`, one per pixel, row-major, `width` per row. */
  pixels(pf: PixelFormat): Uint32Array {
    return this.per(pf).px;
  }

  /** Uncompressed ZRLE tile data for the whole frame in `pf`. */
  zrleData(pf: PixelFormat): Buffer {
    const e = this.per(pf);
    e.zrle ??= Buffer.from(encodeZrleTiles(e.px, this.width, 0, 0, this.width, this.height, pf));
    return e.zrle;
  }

  /** Raw wire pixels for the whole frame in `pf`. */
  rawData(pf: PixelFormat): Buffer {
    const e = this.per(pf);
    e.raw ??= writePixels(e.px, pf);
    return e.raw;
  }
}
