/** Render-to-texture: a sub-scene drawn into an MSAA RenderTarget, shown on a cube and a plane. */
import * as THREE from 'three/webgpu';
import type { ConformanceScene } from '../types.ts';
import { disposeAll } from './util.ts';

export const renderTarget: ConformanceScene = {
  name: 'render-target',
  covers:
    'RenderTarget (samples 4, depth), setRenderTarget, render-target texture sampled in the main pass, MeshNormalMaterial',
  async setup({ renderer }) {
    const inner = new THREE.Scene();
    inner.background = new THREE.Color(0x223344);
    const torus = new THREE.Mesh(
      new THREE.TorusGeometry(0.8, 0.3, 24, 64),
      new THREE.MeshNormalMaterial(),
    );
    torus.rotation.set(0.8, 0.3, 0);
    inner.add(torus);
    const innerCam = new THREE.PerspectiveCamera(50, 1, 0.1, 10);
    innerCam.position.z = 3;
    const rt = new THREE.RenderTarget(128, 128, { samples: 4, depthBuffer: true });
    rt.texture.colorSpace = THREE.SRGBColorSpace;

    const scene = new THREE.Scene();
    scene.background = new THREE.Color(0x886644);
    const cube = new THREE.Mesh(
      new THREE.BoxGeometry(1.4, 1.4, 1.4),
      new THREE.MeshBasicMaterial({ map: rt.texture }),
    );
    cube.rotation.set(0.5, 0.7, 0);
    cube.position.x = -0.8;
    scene.add(cube);
    const plane = new THREE.Mesh(
      new THREE.PlaneGeometry(1.2, 1.2),
      new THREE.MeshBasicMaterial({ map: rt.texture }),
    );
    plane.position.set(1.1, 0.6, 0);
    scene.add(plane);
    const camera = new THREE.PerspectiveCamera(50, 1, 0.1, 20);
    camera.position.z = 4;
    return {
      render() {
        renderer.setRenderTarget(rt);
        renderer.render(inner, innerCam);
        renderer.setRenderTarget(null);
        renderer.render(scene, camera);
      },
      dispose() {
        disposeAll(inner);
        disposeAll(scene);
        rt.dispose();
      },
    };
  },
};
