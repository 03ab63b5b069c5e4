/**
 * A loaded glTF model as a Zerocast scene: the model, a camera that frames its bounding sphere and
 * orbits it, a sky/ground hemisphere light, a key light and an environment map (a small equirect
 * gradient that three.js prefilters itself), and the model's animations playing at stream time.
 */
import { clone as cloneSkinned } from 'three/examples/jsm/utils/SkeletonUtils.js';
import type * as ThreeWebGPU from 'three/webgpu';
import { loadGLB, type GLTF } from './gltf-loader.ts';
import { disposeTree, type SceneDefinition, type SceneInstance, type Three } from './types.ts';

/** Orbit speed of the camera around the model, radians per second. */
export const ORBIT_RADIANS_PER_SECOND = 0.35;

/** Longest model name kept (API scene names are 1..64 characters). */
const MAX_NAME = 64;

/**
 * A scene name for a model: its file name without extension (or `model`), reduced to the API's
 * scene-name characters (letters, digits, `.`, `-`, `_`).
 */
export function modelSceneName(fileName?: string): string {
  const base = (fileName ?? '').replace(/^.*[\\/]/, '').replace(/\.(glb|gltf)$/i, '');
  const clean = base
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_NAME);
  return clean || 'model';
}

/** Where the camera sits for a model of bounding sphere (`center`, `radius`) at `fovDeg`. */
export function frameDistance(radius: number, fovDeg: number, aspect: number): number {
  const vfov = (fovDeg * Math.PI) / 180;
  const hfov = 2 * Math.atan(Math.tan(vfov / 2) * aspect);
  const fov = Math.min(vfov, hfov);
  return (radius / Math.sin(fov / 2)) * 1.1;
}

function environment(THREE: Three): ThreeWebGPU.DataTexture {
  const w = 64;
  const h = 32;
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    const t = y / (h - 1); // 0 = top (sky) .. 1 = bottom (ground)
    const sky = [200, 215, 235];
    const horizon = [235, 230, 220];
    const ground = [90, 80, 70];
    const c = t < 0.5 ? mix(sky, horizon, t * 2) : mix(horizon, ground, (t - 0.5) * 2);
    for (let x = 0; x < w; x++) data.set([c[0]!, c[1]!, c[2]!, 255], (y * w + x) * 4);
  }
  const tex = new THREE.DataTexture(data, w, h, THREE.RGBAFormat);
  tex.mapping = THREE.EquirectangularReflectionMapping;
  tex.colorSpace = THREE.SRGBColorSpace;
  tex.flipY = false;
  tex.needsUpdate = true;
  return tex;
}

function mix(a: number[], b: number[], t: number): number[] {
  return a.map((v, i) => Math.round(v + (b[i]! - v) * t));
}

/**
 * Wraps a parsed glTF as a {@link SceneDefinition}. Every `create()` clones the model (skeletons
 * included), so thumbnails and the live stream never share animation state.
 */
export function modelScene(gltf: GLTF, name: string): SceneDefinition {
  return {
    name,
    description: `glTF model ${name}`,
    shadows: false,
    create({ THREE, width, height }): SceneInstance {
      const scene = new THREE.Scene();
      const model = cloneSkinned(
        gltf.scene as unknown as ThreeWebGPU.Object3D,
      ) as ThreeWebGPU.Object3D;
      scene.add(model);
      const env = environment(THREE);
      scene.environment = env;
      scene.background = new THREE.Color(0x2a3038);
      scene.add(new THREE.HemisphereLight(0xdde6ff, 0x40382f, 1.0));
      const key = new THREE.DirectionalLight(0xffffff, 2.2);
      scene.add(key);
      const mixer = new THREE.AnimationMixer(model);
      for (const clip of gltf.animations)
        mixer.clipAction(clip as unknown as ThreeWebGPU.AnimationClip).play();
      mixer.setTime(0);
      model.updateMatrixWorld(true);
      const box = new THREE.Box3().setFromObject(model, true);
      const sphere = box.isEmpty()
        ? new THREE.Sphere(new THREE.Vector3(), 1)
        : box.getBoundingSphere(new THREE.Sphere());
      const radius = Math.max(sphere.radius, 1e-3);
      const center = sphere.center.clone();
      const camera = new THREE.PerspectiveCamera(45, width / height, radius / 100, radius * 100);
      let distance = frameDistance(radius, 45, width / height);
      const elevation = 0.35;
      const place = (timeMs: number): void => {
        const a = (timeMs / 1000) * ORBIT_RADIANS_PER_SECOND;
        camera.position.set(
          center.x + Math.sin(a) * Math.cos(elevation) * distance,
          center.y + Math.sin(elevation) * distance,
          center.z + Math.cos(a) * Math.cos(elevation) * distance,
        );
        camera.lookAt(center);
        key.position.copy(camera.position).add(new THREE.Vector3(radius, radius * 2, 0));
        key.target.position.copy(center);
        key.target.updateMatrixWorld();
      };
      place(0);
      return {
        scene,
        camera,
        target: [center.x, center.y, center.z],
        update(timeMs) {
          mixer.setTime(timeMs / 1000);
          place(timeMs);
        },
        resize(w, h) {
          camera.aspect = w / h;
          distance = frameDistance(radius, 45, w / h);
          camera.updateProjectionMatrix();
        },
        dispose() {
          mixer.stopAllAction();
          env.dispose();
          disposeTree(scene);
        },
      };
    },
  };
}

/**
 * Parses a .glb and wraps it as a scene named after `fileName`.
 * @throws Error with a message for the user when the bytes are not a usable glTF binary.
 */
export async function loadModelScene(glb: Uint8Array, fileName?: string): Promise<SceneDefinition> {
  let gltf: GLTF;
  try {
    gltf = await loadGLB(glb);
  } catch (error) {
    throw new Error(`not a usable glTF binary: ${(error as Error).message}`);
  }
  return modelScene(gltf, modelSceneName(fileName));
}
