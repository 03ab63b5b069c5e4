/** Points, Line, LineLoop, LineSegments (vertex colours) and textured Sprites. */
import * as THREE from 'three/webgpu';
import type { ConformanceScene } from '../types.ts';
import { checkerTexture, plain, rng } from './util.ts';

export const pointsLinesSprites: ConformanceScene = {
  name: 'points-lines-sprites',
  covers:
    'Points (PointsMaterial), Line and LineSegments (LineBasicMaterial, vertex colours, GridHelper; the WebGPU renderer has no LineLoop), Sprite (SpriteMaterial, map, rotation)',
  async setup({ renderer }) {
    const scene = new THREE.Scene();
    scene.background = new THREE.Color(0x101418);
    const r = rng(3);
    // 1-px points, few: SwiftShader snaps vertices to 4 sub-pixel bits (the Vulkan minimum), lavapipe
    // and NVIDIA to 8, so ~5% of points land one pixel apart; more points would score that, not us.
    const pts = new Float32Array(400 * 3);
    for (let i = 0; i < pts.length; i++) pts[i] = (r() - 0.5) * 4;
    const pg = new THREE.BufferGeometry();
    pg.setAttribute('position', new THREE.BufferAttribute(pts, 3));
    scene.add(new THREE.Points(pg, new THREE.PointsMaterial({ color: 0xffffaa })));
    const spiral: number[] = [];
    const cols: number[] = [];
    for (let i = 0; i <= 200; i++) {
      const t = i / 200;
      spiral.push(Math.cos(t * 20) * t * 1.6, Math.sin(t * 20) * t * 1.6, 0);
      cols.push(t, 1 - t, 0.5);
    }
    const lg = new THREE.BufferGeometry();
    lg.setAttribute('position', new THREE.Float32BufferAttribute(spiral, 3));
    lg.setAttribute('color', new THREE.Float32BufferAttribute(cols, 3));
    scene.add(new THREE.Line(lg, new THREE.LineBasicMaterial({ vertexColors: true })));
    const loop = new THREE.Line(
      new THREE.BufferGeometry().setFromPoints(
        Array.from(
          { length: 6 },
          (_, i) => new THREE.Vector3(Math.cos(i) * 1.8, Math.sin(i) * 1.8, 0),
        ),
      ),
      new THREE.LineBasicMaterial({ color: 0x00ffff }),
    );
    scene.add(loop);
    const grid = new THREE.GridHelper(4, 10, 0xff0000, 0x444444);
    grid.rotation.x = 0.4;
    grid.position.y = -1.23; // keeps grid lines off exact pixel-centre ties (driver-specific tie-breaking)
    grid.rotation.z = 0.013;
    scene.add(grid);
    const map = checkerTexture(32, 4, [255, 255, 255], [255, 80, 0]);
    for (let i = 0; i < 5; i++) {
      const s = new THREE.Sprite(
        new THREE.SpriteMaterial({
          map,
          rotation: i * 0.3,
          color: new THREE.Color().setHSL(i / 5, 0.6, 0.7),
        }),
      );
      s.position.set(-1.6 + i * 0.8, 1.3, 0.5);
      s.scale.set(0.5, 0.5, 1);
      scene.add(s);
    }
    const camera = new THREE.PerspectiveCamera(55, 1, 0.1, 50);
    camera.position.set(0, 0, 4.2);
    return plain(renderer, scene, camera);
  },
};
