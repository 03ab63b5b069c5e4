/** PBR: metal/roughness spheres lit only by a PMREM of three's RoomEnvironment. */
import * as THREE from 'three/webgpu';
import { RoomEnvironment } from 'three/examples/jsm/environments/RoomEnvironment.js';
import type { ConformanceScene } from '../types.ts';
import { plain } from './util.ts';

export const pbrEnvironment: ConformanceScene = {
  name: 'pbr-environment',
  covers: 'MeshStandardMaterial/MeshPhysicalMaterial, PMREM of RoomEnvironment, ACES tone mapping',
  async setup({ renderer }) {
    renderer.toneMapping = THREE.ACESFilmicToneMapping;
    const scene = new THREE.Scene();
    const pmrem = new THREE.PMREMGenerator(renderer);
    const env = pmrem.fromScene(new RoomEnvironment() as unknown as THREE.Scene, 0.04).texture;
    scene.environment = env;
    scene.background = new THREE.Color(0x202428);
    const geo = new THREE.SphereGeometry(0.42, 48, 24);
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 3; j++) {
        const mat =
          j === 2
            ? new THREE.MeshPhysicalMaterial({
                color: 0x88aaff,
                roughness: i / 3,
                clearcoat: 1,
                clearcoatRoughness: 0.1,
              })
            : new THREE.MeshStandardMaterial({
                color: j === 0 ? 0xffcc88 : 0xdddddd,
                metalness: j === 0 ? 1 : 0,
                roughness: 0.05 + i * 0.3,
              });
        const m = new THREE.Mesh(geo, mat);
        m.position.set((i - 1.5) * 1, (1 - j) * 1, 0);
        scene.add(m);
      }
    }
    const camera = new THREE.PerspectiveCamera(40, 1, 0.1, 50);
    camera.position.set(0, 0.3, 5);
    camera.lookAt(0, 0, 0);
    return plain(renderer, scene, camera, () => {
      env.dispose();
      pmrem.dispose();
    });
  },
};
