/**
 * The Node side of the conformance suite: renders every scene on native/gpu (Zerocast's WebGPU on
 * wgpu) through the same harness as Chromium. glTF images go through Zerocast's registry decoder.
 */
import { createFrameCanvas, installWebGPU } from '../../main/webgpu/index.ts';
import type { RenderedScene } from './harness.ts';
import type { ConformanceScene } from './types.ts';

/** A Node renderer for conformance scenes, on one device; {@link NodeConformance.close} frees it. */
export interface NodeConformance {
  readonly adapter: string;
  readonly scenes: readonly ConformanceScene[];
  /** Validation errors the device reported (uncaptured), with the scene that caused them. */
  readonly errors: string[];
  render(scene: ConformanceScene, glb: Uint8Array): Promise<RenderedScene>;
  close(): void;
}

/** Installs WebGPU, opens a device with every adapter feature and loads the scenes (after the install, as three needs). */
export async function openNodeConformance(): Promise<NodeConformance> {
  const gpu = await installWebGPU({ log: () => {} });
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter');
  const device = await adapter.requestDevice({
    requiredFeatures: [...adapter.features] as GPUFeatureName[],
  });
  const errors: string[] = [];
  let current = '';
  device.addEventListener('uncapturederror', (ev) => {
    errors.push(`${current}: ${(ev as GPUUncapturedErrorEvent).error.message}`);
  });
  const { renderConformanceScene } = await import('./harness.ts');
  const { CONFORMANCE_SCENES } = await import('./scenes/index.ts');
  const { loadGLB } = await import('../../main/scenes/gltf-loader.ts');
  return {
    adapter: gpu.adapter.name,
    scenes: CONFORMANCE_SCENES,
    errors,
    render(scene, glb) {
      current = scene.name;
      const canvas = createFrameCanvas(256, 256) as unknown as HTMLCanvasElement;
      return renderConformanceScene(
        scene,
        canvas,
        {
          glb: glb.buffer.slice(glb.byteOffset, glb.byteOffset + glb.byteLength) as ArrayBuffer,
          loadGLB: async (bytes) =>
            (await loadGLB(
              bytes,
            )) as unknown as import('three/examples/jsm/loaders/GLTFLoader.js').GLTF,
        },
        device,
      );
    },
    close() {
      device.destroy();
    },
  };
}
