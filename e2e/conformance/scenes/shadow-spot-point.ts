/** Spot-light and point-light (cube) shadows in a small room. */
import * as THREE from 'three/webgpu';
import type { ConformanceScene } from '../types.ts';
import { plain } from './util.ts';

export const shadowSpotPoint: ConformanceScene = {
  name: 'shadow-spot-point',
  covers: 'SpotLight shadow, PointLight cube shadow, MeshPhongMaterial and MeshLambertMaterial',
  async setup({ renderer }) {
    renderer.shadowMap.enabled = true;
    const scene = new THREE.Scene();
    scene.background = new THREE.Color(0x101010);
    scene.add(new THREE.AmbientLight(0xffffff, 0.15));
    const spot = new THREE.SpotLight(0xffeecc, 60, 20, Math.PI / 7, 0.3, 2);
    spot.position.set(-3, 5, 2);
    spot.target.position.set(-1, 0, 0);
    spot.castShadow = true;
    spot.shadow.mapSize.set(512, 512);
    scene.add(spot, spot.target);
    const point = new THREE.PointLight(0x88bbff, 12, 12, 2);
    point.position.set(1.6, 1.6, 0.5);
    point.castShadow = true;
    point.shadow.mapSize.set(256, 256);
    scene.add(point);
    const floor = new THREE.Mesh(
      new THREE.PlaneGeometry(10, 10),
      new THREE.MeshLambertMaterial({ color: 0xbbbbbb }),
    );
    floor.rotation.x = -Math.PI / 2;
    floor.receiveShadow = true;
    scene.add(floor);
    const wall = new THREE.Mesh(
      new THREE.PlaneGeometry(10, 5),
      new THREE.MeshLambertMaterial({ color: 0x999999 }),
    );
    wall.position.set(0, 2.5, -2);
    wall.receiveShadow = true;
    scene.add(wall);
    const geos = [
      new THREE.SphereGeometry(0.5, 32, 16),
      new THREE.CylinderGeometry(0.3, 0.3, 1.2, 24),
      new THREE.BoxGeometry(0.7, 0.7, 0.7),
    ];
    geos.forEach((g, i) => {
      const m = new THREE.Mesh(
        g,
        new THREE.MeshPhongMaterial({ color: [0xff6644, 0x44ff88, 0xffffff][i], shininess: 60 }),
      );
      m.position.set(-1.5 + i * 1.4, i === 1 ? 0.6 : 0.5, i * 0.3 - 0.5);
      m.castShadow = true;
      m.receiveShadow = true;
      scene.add(m);
    });
    const camera = new THREE.PerspectiveCamera(50, 1, 0.1, 50);
    camera.position.set(0.5, 3, 5.5);
    camera.lookAt(0, 0.7, 0);
    return plain(renderer, scene, camera);
  },
};
