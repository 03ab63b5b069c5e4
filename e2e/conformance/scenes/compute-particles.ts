/** TSL compute: 8192 particles initialised and stepped by compute shaders, drawn as sprites. */
import * as THREE from 'three/webgpu';
import {
  Fn,
  float,
  hash,
  instanceIndex,
  instancedArray,
  vec3,
  vec4,
  uniform,
  sin,
  cos,
} from 'three/tsl';
import type { ConformanceScene } from '../types.ts';

export const computeParticles: ConformanceScene = {
  name: 'compute-particles',
  covers:
    'renderer.compute() (storage buffers, workgroups), instancedArray → vertex attribute, SpriteNodeMaterial, additive blending',
  async setup({ renderer }) {
    const count = 8192;
    const positions = instancedArray(count, 'vec3');
    const velocities = instancedArray(count, 'vec3');
    const dt = uniform(1 / 60);
    const init = Fn(() => {
      const p = positions.element(instanceIndex);
      const v = velocities.element(instanceIndex);
      const a = hash(instanceIndex).mul(Math.PI * 2);
      const r = hash(instanceIndex.add(7919)).mul(0.8).add(0.2);
      p.assign(
        vec3(cos(a).mul(r), hash(instanceIndex.add(104729)).sub(0.5).mul(0.2), sin(a).mul(r)),
      );
      v.assign(
        vec3(sin(a).mul(-0.6), hash(instanceIndex.add(31)).mul(1.5).add(0.5), cos(a).mul(0.6)),
      );
    })().compute(count);
    const step = Fn(() => {
      const p = positions.element(instanceIndex);
      const v = velocities.element(instanceIndex);
      v.addAssign(vec3(0, -1.2, 0).mul(dt));
      p.addAssign(v.mul(dt));
    })().compute(count);
    renderer.compute(init);
    for (let i = 0; i < 45; i++) renderer.compute(step); // fixed time: 0.75 s
    const material = new THREE.SpriteNodeMaterial({
      blending: THREE.AdditiveBlending,
      depthWrite: false,
      transparent: true,
    });
    material.positionNode = positions.toAttribute();
    material.colorNode = vec4(
      hash(instanceIndex).mul(0.6).add(0.4),
      float(0.5),
      float(1).sub(hash(instanceIndex).mul(0.5)),
      1,
    );
    material.scaleNode = float(0.035);
    const sprites = new THREE.Sprite(material);
    sprites.count = count;
    sprites.frustumCulled = false;
    const scene = new THREE.Scene();
    scene.background = new THREE.Color(0x05050a);
    scene.add(sprites);
    const camera = new THREE.PerspectiveCamera(50, 1, 0.1, 50);
    camera.position.set(0, 0.8, 3.4);
    camera.lookAt(0, 0.3, 0);
    return {
      render: () => renderer.render(scene, camera),
      dispose() {
        material.dispose();
        init.dispose();
        step.dispose();
      },
    };
  },
};
