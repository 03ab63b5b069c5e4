/**
 * `swarm`: many instanced moving objects — 4,096 icosahedra in one InstancedMesh (one draw call),
 * each on its own Lissajous orbit with its own colour, rotating, under a key light and a fill.
 * Instance matrices are recomputed on the CPU every frame (a realistic per-frame upload).
 */
import type { SceneDefinition, SceneInstance, SceneContext } from './types.ts';
import { disposeTree } from './types.ts';

/** Number of instances. */
export const SWARM_COUNT = 4096;

export const swarm: SceneDefinition = {
  name: 'swarm',
  description: `${SWARM_COUNT} instanced objects on their own orbits, one draw call`,
  shadows: false,
  create({ THREE, width, height }: SceneContext): SceneInstance {
    const scene = new THREE.Scene();
    scene.background = new THREE.Color(0x0b1020);

    const camera = new THREE.PerspectiveCamera(55, width / height, 0.1, 200);
    camera.position.set(0, 0, 24);

    scene.add(new THREE.AmbientLight(0x8090b0, 0.8));
    const key = new THREE.DirectionalLight(0xffffff, 2.2);
    key.position.set(6, 10, 12);
    scene.add(key);
    const rim = new THREE.DirectionalLight(0x66ccff, 1.1);
    rim.position.set(-8, -4, -10);
    scene.add(rim);

    const mesh = new THREE.InstancedMesh(
      new THREE.IcosahedronGeometry(0.42, 0),
      new THREE.MeshStandardMaterial({ roughness: 0.35, metalness: 0.2, flatShading: true }),
      SWARM_COUNT,
    );
    // Deterministic per-instance parameters (a small LCG, so every run is identical).
    let seed = 12345;
    const random = (): number => {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      return seed / 0x100000000;
    };
    const params = new Float32Array(SWARM_COUNT * 6);
    const color = new THREE.Color();
    for (let i = 0; i < SWARM_COUNT; i++) {
      params[i * 6 + 0] = 4 + random() * 14; // radius
      params[i * 6 + 1] = 0.1 + random() * 0.35; // angular speed (rad/s)
      params[i * 6 + 2] = random() * Math.PI * 2; // phase
      params[i * 6 + 3] = 1 + Math.floor(random() * 3); // vertical frequency ratio
      params[i * 6 + 4] = (random() - 0.5) * 10; // vertical amplitude
      params[i * 6 + 5] = 0.5 + random() * 2; // spin speed
      color.setHSL(0.55 + random() * 0.45, 0.75, 0.55);
      mesh.setColorAt(i, color);
    }
    scene.add(mesh);

    const dummy = new THREE.Object3D();
    const instance: SceneInstance = {
      scene,
      camera,
      target: [0, 0, 0],
      update(timeMs) {
        const t = timeMs / 1000;
        for (let i = 0; i < SWARM_COUNT; i++) {
          const o = i * 6;
          const radius = params[o]!;
          const angle = params[o + 2]! + t * params[o + 1]!;
          dummy.position.set(
            Math.cos(angle) * radius,
            Math.sin(angle * params[o + 3]!) * params[o + 4]!,
            Math.sin(angle) * radius * 0.6,
          );
          dummy.rotation.set(t * params[o + 5]!, t * params[o + 5]! * 0.7, 0);
          dummy.updateMatrix();
          mesh.setMatrixAt(i, dummy.matrix);
        }
        mesh.instanceMatrix.needsUpdate = true;
        camera.position.set(
          Math.sin(t * 0.1) * 24,
          4 + Math.sin(t * 0.07) * 6,
          Math.cos(t * 0.1) * 24,
        );
        camera.lookAt(0, 0, 0);
      },
      resize(w, h) {
        camera.aspect = w / h;
        camera.updateProjectionMatrix();
      },
      dispose() {
        disposeTree(scene);
        mesh.dispose();
      },
    };
    instance.update(0, 0);
    return instance;
  },
};
