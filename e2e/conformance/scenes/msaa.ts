/** MSAA (4 samples): thin rotated bars and triangles whose edges only look right resolved. */
import * as THREE from 'three/webgpu';
import type { ConformanceScene } from '../types.ts';
import { plain } from './util.ts';

export const msaa: ConformanceScene = {
  name: 'msaa',
  covers: 'antialias: true (sampleCount 4, resolve), MeshBasicMaterial, orthographic camera',
  antialias: true,
  async setup({ renderer }) {
    const scene = new THREE.Scene();
    scene.background = new THREE.Color(0xffffff);
    const camera = new THREE.OrthographicCamera(-1, 1, 1, -1, 0.1, 10);
    camera.position.z = 5;
    for (let i = 0; i < 18; i++) {
      const bar = new THREE.Mesh(
        new THREE.PlaneGeometry(1.6, 0.012 + i * 0.002),
        new THREE.MeshBasicMaterial({ color: new THREE.Color().setHSL(i / 18, 0.8, 0.35) }),
      );
      bar.rotation.z = (i / 18) * Math.PI + 0.05;
      scene.add(bar);
    }
    const tri = new THREE.Mesh(
      new THREE.CircleGeometry(0.35, 3),
      new THREE.MeshBasicMaterial({ color: 0x000000 }),
    );
    tri.position.set(0.55, 0.55, 0.1);
    tri.rotation.z = 0.3;
    scene.add(tri);
    return plain(renderer, scene, camera);
  },
};
