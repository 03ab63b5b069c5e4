/** TSL post-processing: RenderPipeline with pass() + BloomNode over emissive shapes. */
import * as THREE from 'three/webgpu';
import { pass } from 'three/tsl';
import { bloom } from 'three/examples/jsm/tsl/display/BloomNode.js';
import type { ConformanceScene } from '../types.ts';
import { disposeAll } from './util.ts';

export const postBloom: ConformanceScene = {
  name: 'post-bloom',
  covers:
    'RenderPipeline, pass() (half-float render target), BloomNode (mip blur chain), output colour transform',
  async setup({ renderer }) {
    const scene = new THREE.Scene();
    scene.background = new THREE.Color(0x000000);
    const colors = [0xff3030, 0x30ff60, 0x4080ff, 0xffffff];
    colors.forEach((c, i) => {
      const m = new THREE.Mesh(
        i === 3
          ? new THREE.TorusGeometry(0.35, 0.08, 16, 48)
          : new THREE.SphereGeometry(0.3, 32, 16),
        new THREE.MeshBasicMaterial({
          color: new THREE.Color(c).multiplyScalar(i === 3 ? 3 : 1.5),
        }),
      );
      m.position.set(
        Math.cos((i / 4) * Math.PI * 2) * 0.9,
        Math.sin((i / 4) * Math.PI * 2) * 0.9,
        0,
      );
      scene.add(m);
    });
    const dim = new THREE.Mesh(
      new THREE.BoxGeometry(0.5, 0.5, 0.5),
      new THREE.MeshBasicMaterial({ color: 0x404040 }),
    );
    dim.rotation.set(0.6, 0.6, 0);
    scene.add(dim);
    const camera = new THREE.PerspectiveCamera(50, 1, 0.1, 20);
    camera.position.z = 3.5;
    const pipeline = new THREE.RenderPipeline(renderer);
    const scenePass = pass(scene, camera);
    const color = scenePass.getTextureNode('output');
    pipeline.outputNode = color.add(bloom(color, 1.2, 0.4, 0.3));
    return {
      render: () => pipeline.render(),
      dispose() {
        pipeline.dispose();
        scenePass.dispose();
        disposeAll(scene);
      },
    };
  },
};
