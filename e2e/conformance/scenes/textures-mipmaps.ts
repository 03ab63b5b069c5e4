/** A receding checker floor (DataTexture, generated mipmaps, trilinear) and nearest-filtered tiles. */
import * as THREE from 'three/webgpu';
import type { ConformanceScene } from '../types.ts';
import { checkerTexture, plain } from './util.ts';

export const texturesMipmaps: ConformanceScene = {
  name: 'textures-mipmaps',
  covers:
    'DataTexture upload, generated mipmaps, LinearMipmapLinear/Nearest filters, repeat wrap, sRGB',
  async setup({ renderer }) {
    const scene = new THREE.Scene();
    scene.background = new THREE.Color(0x334455);
    const floorTex = checkerTexture(256, 16, [240, 240, 240], [30, 60, 120]);
    floorTex.wrapS = floorTex.wrapT = THREE.RepeatWrapping;
    floorTex.repeat.set(6, 6);
    floorTex.generateMipmaps = true;
    floorTex.minFilter = THREE.LinearMipmapLinearFilter;
    floorTex.magFilter = THREE.LinearFilter;
    const floor = new THREE.Mesh(
      new THREE.PlaneGeometry(40, 40),
      new THREE.MeshBasicMaterial({ map: floorTex }),
    );
    floor.rotation.x = -Math.PI / 2;
    scene.add(floor);
    const tile = checkerTexture(8, 4, [255, 40, 40], [255, 230, 60]);
    tile.magFilter = THREE.NearestFilter;
    tile.minFilter = THREE.NearestFilter;
    const box = new THREE.Mesh(
      new THREE.BoxGeometry(1.2, 1.2, 1.2),
      new THREE.MeshBasicMaterial({ map: tile }),
    );
    box.position.set(0, 1.2, 0);
    box.rotation.set(0.5, 0.6, 0);
    scene.add(box);
    const camera = new THREE.PerspectiveCamera(60, 1, 0.1, 100);
    camera.position.set(0, 2, 4);
    camera.lookAt(0, 0.5, -4);
    return plain(renderer, scene, camera);
  },
};
