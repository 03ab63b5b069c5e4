/**
 * Viewer input → the scene's camera. When the presenter enables interaction, RFB PointerEvent and
 * KeyEvent messages (and, later, WebRTC data-channel input) orbit and zoom the camera around the
 * scene's target on top of the scene's own camera motion.
 *
 * Pointer: drag with button 1 to orbit (0.01 rad per pixel), wheel (buttons 4/5) to zoom.
 * Keys (X11 keysyms): arrows orbit, `+`/`-` zoom, `r` resets.
 */
import type { Camera } from 'three/webgpu';

/** Input events in framebuffer pixels, as RFB delivers them (RFC 6143 §7.5.4, §7.5.5). */
export interface ViewerInput {
  /** Bit n of `buttonMask` = button n+1 down (4 = wheel up, 5 = wheel down). */
  pointer(x: number, y: number, buttonMask: number): void;
  /** An X11 keysym pressed (`down`) or released. */
  key(keysym: number, down: boolean): void;
}

const XK = {
  Left: 0xff51,
  Up: 0xff52,
  Right: 0xff53,
  Down: 0xff54,
  plus: 0x2b,
  equal: 0x3d,
  minus: 0x2d,
  r: 0x72,
};
const ORBIT_PER_PIXEL = 0.01;
const ORBIT_PER_KEY = 0.12;
const ZOOM_STEP = 1.12;
const MAX_PITCH = 1.4;

/** Orbit/zoom state applied to a camera after the scene positioned it. */
export class CameraControl implements ViewerInput {
  /** Extra rotation around the vertical axis through the target, radians. */
  yaw = 0;
  /** Extra elevation, radians (clamped to ±1.4). */
  pitch = 0;
  /** Distance factor (< 1 is closer), clamped to 0.2..5. */
  zoom = 1;
  private lastX: number | undefined;
  private lastY: number | undefined;
  private lastMask = 0;

  pointer(x: number, y: number, buttonMask: number): void {
    if (
      buttonMask & 1 &&
      this.lastMask & 1 &&
      this.lastX !== undefined &&
      this.lastY !== undefined
    ) {
      this.orbit((x - this.lastX) * ORBIT_PER_PIXEL, (y - this.lastY) * ORBIT_PER_PIXEL);
    }
    const pressed = buttonMask & ~this.lastMask;
    if (pressed & 8) this.zoomBy(1 / ZOOM_STEP);
    if (pressed & 16) this.zoomBy(ZOOM_STEP);
    this.lastX = x;
    this.lastY = y;
    this.lastMask = buttonMask;
  }

  key(keysym: number, down: boolean): void {
    if (!down) return;
    if (keysym === XK.Left) this.orbit(-ORBIT_PER_KEY, 0);
    else if (keysym === XK.Right) this.orbit(ORBIT_PER_KEY, 0);
    else if (keysym === XK.Up) this.orbit(0, -ORBIT_PER_KEY);
    else if (keysym === XK.Down) this.orbit(0, ORBIT_PER_KEY);
    else if (keysym === XK.plus || keysym === XK.equal) this.zoomBy(1 / ZOOM_STEP);
    else if (keysym === XK.minus) this.zoomBy(ZOOM_STEP);
    else if (keysym === XK.r) this.reset();
  }

  /** Back to the scene's own camera. */
  reset(): void {
    this.yaw = 0;
    this.pitch = 0;
    this.zoom = 1;
  }

  /** Whether any offset is in force. */
  get active(): boolean {
    return this.yaw !== 0 || this.pitch !== 0 || this.zoom !== 1;
  }

  /**
   * Moves `camera` (already placed by the scene) around `target` by the current offsets and points
   * it at the target. Orthographic scenes without a target are left alone.
   */
  apply(camera: Camera, target: readonly [number, number, number] | undefined): void {
    if (!target || !this.active) return;
    const [tx, ty, tz] = target;
    const dx = camera.position.x - tx;
    const dy = camera.position.y - ty;
    const dz = camera.position.z - tz;
    const radius = Math.hypot(dx, dy, dz) * this.zoom;
    const azimuth = Math.atan2(dz, dx) + this.yaw;
    const elevation = Math.max(
      -MAX_PITCH,
      Math.min(MAX_PITCH, Math.asin(dy / Math.hypot(dx, dy, dz)) + this.pitch),
    );
    camera.position.set(
      tx + radius * Math.cos(elevation) * Math.cos(azimuth),
      ty + radius * Math.sin(elevation),
      tz + radius * Math.cos(elevation) * Math.sin(azimuth),
    );
    camera.lookAt(tx, ty, tz);
  }

  private orbit(dYaw: number, dPitch: number): void {
    this.yaw += dYaw;
    this.pitch = Math.max(-MAX_PITCH, Math.min(MAX_PITCH, this.pitch + dPitch));
  }

  private zoomBy(factor: number): void {
    this.zoom = Math.max(0.2, Math.min(5, this.zoom * factor));
  }
}
