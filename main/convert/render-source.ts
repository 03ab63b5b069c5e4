/**
 * A built-in scene rendered by three.js into a Zerocast-owned frame texture, outside the engine:
 * the frame source of the NV12 export tests, the zero-copy device check and its benchmark
 * (`scripts/device/zero-copy-check.ts`, `bench/zero-copy.bench.ts`). The engine does the same
 * per frame (main/engine/engine.ts), plus encoding and outputs.
 */
import { findScene, type SceneInstance, type Three } from '../scenes/index.ts';
import { createFrameCanvas, type FrameCanvas } from '../webgpu/index.ts';

/** A scene that renders frame `n` on demand. */
export interface SceneRenderer {
  readonly width: number;
  readonly height: number;
  /**
   * Renders frame `frameId` (scene time `frameId * 1000 / 30` ms) and returns the frame texture
   * (rgba8unorm, TEXTURE_BINDING | COPY_SRC). The render is submitted when this returns.
   */
  render(frameId: number): GPUTexture;
  /** Changes the output size (the texture is recreated). */
  resize(width: number, height: number): void;
  /** Frees the scene and the renderer (not the device). */
  dispose(): void;
}

/**
 * Opens a WebGPURenderer on `device` (installWebGPU must have run) drawing `scene` (default the
 * deterministic `test-pattern`) at `width` x `height`.
 * @throws Error when three.js falls back to WebGL or the scene is unknown.
 */
export async function openSceneRenderer(
  device: GPUDevice,
  width: number,
  height: number,
  scene = 'test-pattern',
): Promise<SceneRenderer> {
  const THREE = (await import('three/webgpu')) as Three;
  const canvas: FrameCanvas = createFrameCanvas(width, height);
  const renderer = new THREE.WebGPURenderer({
    canvas: canvas as unknown as HTMLCanvasElement,
    device,
    antialias: false,
  });
  await renderer.init();
  if (!(renderer.backend as { isWebGPUBackend?: boolean }).isWebGPUBackend) {
    throw new Error('three.js fell back to WebGL: the WebGPU bridge did not initialise');
  }
  renderer.setPixelRatio(1);
  renderer.setSize(width, height, false);
  const def = findScene(scene);
  const instance: SceneInstance = def.create({ THREE, width, height });
  renderer.shadowMap.enabled = def.shadows;
  const state = { width, height };
  return {
    get width() {
      return state.width;
    },
    get height() {
      return state.height;
    },
    render(frameId: number): GPUTexture {
      instance.update((frameId * 1000) / 30, frameId);
      renderer.render(instance.scene, instance.camera);
      return canvas.currentTexture();
    },
    resize(w: number, h: number): void {
      state.width = w;
      state.height = h;
      canvas.resize(w, h);
      renderer.setSize(w, h, false);
      instance.resize(w, h);
    },
    dispose(): void {
      instance.dispose();
      renderer.dispose();
    },
  };
}
