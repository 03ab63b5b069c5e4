/** Directional-light PCF shadows of boxes and a torus knot on a ground plane. */
import * as THREE from 'three/webgpu';
import type { ConformanceScene } from '../types.ts';
import { plain } from './util.ts';

export const shadowDirectional: ConformanceScene = {
  name: 'shadow-directional',
  covers: 'DirectionalLight shadow map (PCF), castShadow/receiveShadow, MeshStandardMaterial',
  async setup({ renderer }) {
    renderer.shadowMap.enabled = true;
    renderer.shadowMap.type = THREE.PCFShadowMap;
    const scene = new THREE.Scene();
    scene.background = new THREE.Color(0x9ab0c8);
    scene.add(new THREE.HemisphereLight(0xffffff, 0x404040, 0.6));
    const sun = new THREE.DirectionalLight(0xffffff, 2.5);
    sun.position.set(3, 6, 2);
    sun.castShadow = true;
    sun.shadow.mapSize.set(512, 512);
    const c = sun.shadow.camera;
    c.left = -4;
    c.right = 4;
    c.top = 4;
    c.bottom = -4;
    c.near = 0.5;
    c.far = 20;
    scene.add(sun);
    const ground = new THREE.Mesh(
      new THREE.PlaneGeometry(10, 10),
      new THREE.MeshStandardMaterial({ color: 0xcccccc, roughness: 0.9 }),
    );
    ground.rotation.x = -Math.PI / 2;
    ground.receiveShadow = true;
    scene.add(ground);
    const knot = new THREE.Mesh(
      new THREE.TorusKnotGeometry(0.6, 0.2, 96, 12),
      new THREE.MeshStandardMaterial({ color: 0xe05030, roughness: 0.4 }),
    );
    knot.position.set(0, 1.4, 0);
    knot.rotation.set(0.4, 0.7, 0);
    knot.castShadow = true;
    knot.receiveShadow = true;
    scene.add(knot);
    for (let i = 0; i < 3; i++) {
      const b = new THREE.Mesh(
        new THREE.BoxGeometry(0.6, 0.6 + i * 0.4, 0.6),
        new THREE.MeshStandardMaterial({ color: [0x3070e0, 0x30c060, 0xe0c030][i] }),
      );
      b.position.set(-2 + i * 2, 0.3 + i * 0.2, 1.4 - i);
      b.castShadow = true;
      b.receiveShadow = true;
      scene.add(b);
    }
    const camera = new THREE.PerspectiveCamera(45, 1, 0.1, 50);
    camera.position.set(4, 4.5, 6);
    camera.lookAt(0, 0.6, 0);
    return plain(renderer, scene, camera);
  },
};
