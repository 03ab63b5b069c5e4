/** Stream settings and their bounds (shared by the engine, the CLI and the API). */

/** Stream settings (all live-changeable through the engine's setters). */
export interface StreamSettings {
  /** Built-in scene name (see main/scenes). */
  scene: string;
  /** Pixels; even. */
  width: number;
  height: number;
  /** Frames per second. */
  fps: number;
  /** Target bitrate, bits/s. */
  bitrate: number;
  /** Frames between IDRs. */
  keyframeInterval: number;
}

/** Default settings: the default scene at 1280x720, 60 fps, 6 Mbit/s, an IDR every 2 s. */
export const DEFAULT_SETTINGS: Readonly<StreamSettings> = {
  scene: 'showroom',
  width: 1280,
  height: 720,
  fps: 60,
  bitrate: 6_000_000,
  keyframeInterval: 120,
};

/** @throws RangeError unless width and height are even and within 64..7680 x 64..4320. */
export function validateSize(width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width % 2 || height % 2) {
    throw new RangeError(`size must be even integers, got ${width}x${height}`);
  }
  if (width < 64 || height < 64 || width > 7680 || height > 4320) {
    throw new RangeError(`size must be within 64x64 .. 7680x4320, got ${width}x${height}`);
  }
}
