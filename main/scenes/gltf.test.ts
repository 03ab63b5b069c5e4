/**
 * glTF in the main process: the registry image decoder (pngjs, jpeg-js), GLTFLoader with it on the
 * project's own test model (skinned, morph target, PNG + JPEG textures), and the model scene
 * (name, framing, animation at stream time). No DOM, no downloads.
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestModel } from '../../e2e/support/conformance-glb.ts';
import { installWebGPU } from '../webgpu/index.ts';
import { decodeImage, loadGLB } from './gltf-loader.ts';
import { frameDistance, loadModelScene, modelSceneName } from './gltf.ts';
import type { Three } from './types.ts';

let THREE: Three;
beforeAll(async () => {
  await installWebGPU({ log: () => {} });
  THREE = (await import('three/webgpu')) as Three;
});

describe('registry image decoder', () => {
  it('decodes PNG and JPEG to RGBA8 and names what it cannot decode', () => {
    const png = new PNG({ width: 3, height: 2 });
    png.data.fill(0);
    png.data.set([255, 0, 0, 255], 0);
    const p = decodeImage(new Uint8Array(PNG.sync.write(png)));
    expect([p.width, p.height, p.data.length]).toEqual([3, 2, 24]);
    expect([...p.data.subarray(0, 4)]).toEqual([255, 0, 0, 255]);
    const data = Buffer.alloc(16 * 16 * 4, 200);
    const j = decodeImage(new Uint8Array(jpeg.encode({ data, width: 16, height: 16 }, 95).data));
    expect([j.width, j.height]).toEqual([16, 16]);
    expect(Math.abs(j.data[0]! - 200)).toBeLessThan(4);
    expect(() => decodeImage(new Uint8Array([1, 2, 3, 4]))).toThrow(/neither PNG nor JPEG/);
  });
});

describe('GLTFLoader in Node with the registry decoder', () => {
  it('loads the test model: skinned mesh, morph target, PNG and JPEG textures, animation', async () => {
    const gltf = await loadGLB(buildTestModel());
    const meshes: {
      name: string;
      skinned: boolean;
      morph: number;
      map?: { w: number; h: number };
    }[] = [];
    gltf.scene.traverse((o) => {
      const m = o as unknown as {
        isMesh?: boolean;
        isSkinnedMesh?: boolean;
        name: string;
        morphTargetInfluences?: number[];
        material: {
          map?: {
            isDataTexture?: boolean;
            flipY: boolean;
            image: { width: number; height: number };
          };
        };
      };
      if (!m.isMesh) return;
      const map = m.material.map;
      expect(map?.isDataTexture).toBe(true);
      expect(map?.flipY).toBe(false);
      meshes.push({
        name: m.name,
        skinned: m.isSkinnedMesh === true,
        morph: m.morphTargetInfluences?.length ?? 0,
        ...(map ? { map: { w: map.image.width, h: map.image.height } } : {}),
      });
    });
    expect(meshes).toEqual([
      { name: 'Tube', skinned: true, morph: 1, map: { w: 64, h: 64 } },
      { name: 'Ground', skinned: false, morph: 0, map: { w: 64, h: 64 } },
    ]);
    expect(gltf.animations.map((a) => [a.name, a.duration])).toEqual([['Bend', 2]]);
  });

  it('rejects bytes that are not a glTF binary with a message', async () => {
    await expect(loadModelScene(new Uint8Array(64), 'x.glb')).rejects.toThrow(
      /not a usable glTF binary/,
    );
  });
});

describe('model scene', () => {
  it('names the scene after the file, in API scene-name characters', () => {
    expect(modelSceneName('/tmp/My Robot (v2).glb')).toBe('My-Robot-v2');
    expect(modelSceneName(undefined)).toBe('model');
    expect(modelSceneName('models/a.b_c-d.GLB')).toBe('a.b_c-d');
  });

  it('frames the bounding sphere, orbits it and animates the model at stream time', async () => {
    const def = await loadModelScene(buildTestModel(), 'test.glb');
    expect(def.name).toBe('test');
    const inst = def.create({ THREE, width: 640, height: 360 });
    const cam = inst.camera as InstanceType<Three['PerspectiveCamera']>;
    const [cx, cy, cz] = inst.target!;
    const box = new THREE.Box3().setFromObject(inst.scene, true);
    const sphere = box.getBoundingSphere(new THREE.Sphere());
    expect(
      Math.hypot(sphere.center.x - cx, sphere.center.y - cy, sphere.center.z - cz),
    ).toBeLessThan(1e-6);
    const d0 = cam.position.distanceTo(sphere.center);
    expect(d0).toBeCloseTo(frameDistance(sphere.radius, 45, 640 / 360), 3);
    // Every corner of the model's box is inside the view frustum.
    cam.updateMatrixWorld();
    const frustum = new THREE.Frustum().setFromProjectionMatrix(
      new THREE.Matrix4().multiplyMatrices(cam.projectionMatrix, cam.matrixWorldInverse),
    );
    expect(frustum.intersectsBox(box)).toBe(true);
    expect(frustum.containsPoint(sphere.center)).toBe(true);
    const p0 = cam.position.clone();
    const bone = inst.scene.getObjectByName('Joint1')!;
    const q0 = bone.quaternion.clone();
    inst.update(1000, 30);
    expect(cam.position.distanceTo(p0)).toBeGreaterThan(0.1); // orbits
    expect(cam.position.distanceTo(sphere.center)).toBeCloseTo(d0, 3); // at the same distance
    expect(bone.quaternion.angleTo(q0)).toBeGreaterThan(0.3); // the animation bends the joint
    inst.dispose();
  });
});
