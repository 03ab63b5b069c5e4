/** 400 instanced boxes with per-instance matrices and colours, lit by a directional light. */
import * as THREE from 'three/webgpu';
import type { ConformanceScene } from '../types.ts';
import { plain, rng } from './util.ts';

export const instancing: ConformanceScene = {
  name: 'instancing',
  covers: 'InstancedMesh (instanceMatrix, instanceColor), MeshStandardMaterial',
  async setup({ renderer }) {
    const scene = new THREE.Scene();
    scene.background = new THREE.Color(0x0b0d12);
    scene.add(new THREE.AmbientLight(0xffffff, 0.4));
    const sun = new THREE.DirectionalLight(0xffffff, 2);
    sun.position.set(2, 3, 4);
    scene.add(sun);
    const n = 400;
    const mesh = new THREE.InstancedMesh(
      new THREE.BoxGeometry(0.25, 0.25, 0.25),
      new THREE.MeshStandardMaterial({ roughness: 0.5 }),
      n,
    );
    const r = rng(7);
    const m = new THREE.Matrix4();
    const q = new THREE.Quaternion();
    const e = new THREE.Euler();
    const color = new THREE.Color();
    for (let i = 0; i < n; i++) {
      const x = (i % 20) - 9.5;
      const y = Math.floor(i / 20) - 9.5;
      e.set(r() * 3, r() * 3, 0);
      q.setFromEuler(e);
      const s = 0.6 + r() * 0.8;
      m.compose(new THREE.Vector3(x * 0.4, y * 0.4, r() * -2), q, new THREE.Vector3(s, s, s));
      mesh.setMatrixAt(i, m);
      mesh.setColorAt(i, color.setHSL(i / n, 0.7, 0.55));
    }
    scene.add(mesh);
    const camera = new THREE.PerspectiveCamera(50, 1, 0.1, 50);
    camera.position.set(0, 0, 9.5);
    return plain(renderer, scene, camera);
  },
};
