/** A glTF made by test code: skinned, morph-targeted, textured (PNG + JPEG), posed by its animation. */
import * as THREE from 'three/webgpu';
import type { ConformanceScene } from '../types.ts';
import { disposeAll } from './util.ts';

/** Seconds into the model's animation the picture is taken at. */
export const GLTF_POSE_TIME = 0.6;

export const gltfSkinnedMorph: ConformanceScene = {
  name: 'gltf-skinned-morph',
  covers:
    'GLTFLoader (GLB, embedded PNG/JPEG), SkinnedMesh + skeleton, morph targets, AnimationMixer at a fixed time',
  async setup({ renderer, loadGLB, glb }) {
    const gltf = await loadGLB(glb);
    const scene = new THREE.Scene();
    scene.background = new THREE.Color(0x406080);
    scene.add(new THREE.HemisphereLight(0xffffff, 0x303040, 1.2));
    const sun = new THREE.DirectionalLight(0xffffff, 2);
    sun.position.set(2, 4, 3);
    scene.add(sun);
    scene.add(gltf.scene as unknown as THREE.Object3D);
    const mixer = new THREE.AnimationMixer(gltf.scene as unknown as THREE.Object3D);
    for (const clip of gltf.animations)
      mixer.clipAction(clip as unknown as THREE.AnimationClip).play();
    mixer.setTime(GLTF_POSE_TIME);
    const camera = new THREE.PerspectiveCamera(45, 1, 0.1, 50);
    camera.position.set(2.2, 2.2, 4.2);
    camera.lookAt(0, 1, 0);
    return {
      render: () => renderer.render(scene, camera),
      dispose: () => disposeAll(scene),
    };
  },
};
