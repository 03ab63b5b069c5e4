/**
 * The Chromium side of the conformance suite (bundled with esbuild into the test page): renders a
 * scene with Chromium's own WebGPU (SwiftShader) through the same harness as Node, and hands the
 * RGBA pixels back base64-encoded. The glTF scene gets three's GLTFLoader as shipped (the
 * browser's ImageBitmap decoding), so Node's registry decoder is compared against the browser's.
 */
import { GLTFLoader, type GLTF } from 'three/examples/jsm/loaders/GLTFLoader.js';
import { renderConformanceScene } from './harness.ts';
import { CONFORMANCE_SCENES } from './scenes/index.ts';

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

async function render(name: string): Promise<{ data: string; format: string }> {
  const scene = CONFORMANCE_SCENES.find((s) => s.name === name);
  if (!scene) throw new Error(`no scene ${name}`);
  const glb = await (await fetch('/model.glb')).arrayBuffer();
  const canvas = document.createElement('canvas');
  document.body.appendChild(canvas);
  try {
    const out = await renderConformanceScene(scene, canvas, {
      glb,
      loadGLB: (bytes) => new GLTFLoader().parseAsync(bytes, '') as Promise<GLTF>,
    });
    return { data: toBase64(out.data), format: out.format };
  } finally {
    canvas.remove();
  }
}

(window as unknown as Record<string, unknown>).zerocastConformance = {
  names: CONFORMANCE_SCENES.map((s) => s.name),
  render,
};
