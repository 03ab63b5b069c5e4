/** Transparent quads over a gradient: normal, additive, subtractive, multiply and custom blending. */
import * as THREE from 'three/webgpu';
import type { ConformanceScene } from '../types.ts';
import { plain } from './util.ts';

export const transparencyBlending: ConformanceScene = {
  name: 'transparency-blending',
  covers:
    'transparent sorting, opacity, Normal/Additive/Subtractive/Multiply/Custom blending, depthWrite off',
  async setup({ renderer }) {
    const scene = new THREE.Scene();
    const camera = new THREE.OrthographicCamera(-2, 2, 2, -2, 0.1, 10);
    camera.position.z = 5;
    const bgGeo = new THREE.PlaneGeometry(4, 4);
    const colors = new Float32Array(4 * 3);
    [0.1, 0.1, 0.5, 0.9, 0.9, 0.2, 0.2, 0.7, 0.3, 0.8, 0.3, 0.6].forEach((v, i) => (colors[i] = v));
    bgGeo.setAttribute('color', new THREE.BufferAttribute(colors, 3));
    scene.add(new THREE.Mesh(bgGeo, new THREE.MeshBasicMaterial({ vertexColors: true })));
    const modes: [THREE.Blending, number][] = [
      [THREE.NormalBlending, 0xff2020],
      [THREE.AdditiveBlending, 0x20ff20],
      [THREE.SubtractiveBlending, 0x2020ff],
      [THREE.MultiplyBlending, 0xffff00],
    ];
    modes.forEach(([blending, color], i) => {
      const mat = new THREE.MeshBasicMaterial({
        color,
        transparent: true,
        opacity: 0.6,
        blending,
        depthWrite: false,
        premultipliedAlpha:
          blending === THREE.MultiplyBlending || blending === THREE.SubtractiveBlending,
      });
      const m = new THREE.Mesh(new THREE.CircleGeometry(0.8, 48), mat);
      m.position.set(i % 2 ? 0.7 : -0.7, i < 2 ? 0.7 : -0.7, 0.1 + i * 0.01);
      scene.add(m);
    });
    const custom = new THREE.MeshBasicMaterial({
      color: 0xffffff,
      transparent: true,
      opacity: 0.5,
      blending: THREE.CustomBlending,
      blendEquation: THREE.AddEquation,
      blendSrc: THREE.OneMinusDstColorFactor,
      blendDst: THREE.OneMinusSrcColorFactor,
    });
    const ring = new THREE.Mesh(new THREE.RingGeometry(0.3, 0.6, 48), custom);
    ring.position.z = 0.5;
    scene.add(ring);
    // Back-to-front sorting of overlapping transparent planes.
    for (let i = 0; i < 3; i++) {
      const p = new THREE.Mesh(
        new THREE.PlaneGeometry(0.8, 0.8),
        new THREE.MeshBasicMaterial({
          color: [0xff8800, 0x00ffff, 0xff00ff][i],
          transparent: true,
          opacity: 0.5,
        }),
      );
      p.position.set(1.2 + i * 0.2, -1.6 + i * 0.2, 1 - i * 0.3);
      scene.add(p);
    }
    return plain(renderer, scene, camera);
  },
};
