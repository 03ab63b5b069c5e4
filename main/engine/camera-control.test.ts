import { describe, expect, it } from 'vitest';
import { PerspectiveCamera } from 'three';
import type { Camera } from 'three/webgpu';
import { CameraControl } from './camera-control.ts';

function camera(): Camera {
  const c = new PerspectiveCamera();
  c.position.set(10, 0, 0);
  return c as unknown as Camera;
}

describe('CameraControl', () => {
  it('leaves the camera alone with no input', () => {
    const c = camera();
    new CameraControl().apply(c, [0, 0, 0]);
    expect(c.position.toArray()).toEqual([10, 0, 0]);
  });

  it('orbits on a button-1 drag and keeps the distance', () => {
    const control = new CameraControl();
    control.pointer(100, 100, 0);
    control.pointer(100, 100, 1);
    control.pointer(257, 100, 1); // 157 px * 0.01 rad ≈ π/2
    const c = camera();
    control.apply(c, [0, 0, 0]);
    expect(c.position.length()).toBeCloseTo(10, 5);
    expect(c.position.x).toBeCloseTo(10 * Math.cos(1.57), 3);
    expect(c.position.z).toBeCloseTo(10 * Math.sin(1.57), 3);
  });

  it('does not orbit on a move without a button', () => {
    const control = new CameraControl();
    control.pointer(0, 0, 0);
    control.pointer(300, 300, 0);
    expect(control.active).toBe(false);
  });

  it('zooms on wheel presses and arrow keys orbit; r resets', () => {
    const control = new CameraControl();
    control.pointer(0, 0, 8);
    control.pointer(0, 0, 0);
    expect(control.zoom).toBeLessThan(1);
    const c = camera();
    control.apply(c, [0, 0, 0]);
    expect(c.position.length()).toBeCloseTo(10 * control.zoom, 5);
    control.key(0xff53, true);
    expect(control.yaw).toBeGreaterThan(0);
    control.key(0x72, true);
    expect(control.active).toBe(false);
  });

  it('ignores scenes without a target (orthographic test pattern)', () => {
    const control = new CameraControl();
    control.key(0xff51, true);
    const c = camera();
    control.apply(c, undefined);
    expect(c.position.toArray()).toEqual([10, 0, 0]);
  });
});
