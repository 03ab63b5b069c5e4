/**
 * The render harness both environments run: create a WebGPURenderer on the given canvas, set the
 * scene up, draw it twice (the first draw warms caches, e.g. PMREM and shadow maps), and read the
 * canvas texture back in the same task as the second draw (before a browser could present it).
 * Imports nothing environment-specific: `three/webgpu` and the WebGPU globals only.
 */
import * as THREE from 'three/webgpu';
import { CONFORMANCE_SIZE, type ConformanceContext, type ConformanceScene } from './types.ts';

/** RGBA8 pixels of one rendered scene, rows top-down. */
export interface RenderedScene {
  width: number;
  height: number;
  data: Uint8Array;
  /** Canvas texture format the renderer used (bgra8unorm in Chromium, rgba8unorm in Node). */
  format: string;
}

/**
 * Renders `scene` on `canvas` (a real HTMLCanvasElement in Chromium, a Zerocast FrameCanvas in Node)
 * and returns its pixels as RGBA.
 * @param device A device to render on (Node: from Zerocast's navigator.gpu); the renderer makes its own when absent.
 */
export async function renderConformanceScene(
  scene: ConformanceScene,
  canvas: HTMLCanvasElement,
  assets: Pick<ConformanceContext, 'loadGLB' | 'glb'>,
  device?: GPUDevice,
): Promise<RenderedScene> {
  const size = CONFORMANCE_SIZE;
  canvas.width = size;
  canvas.height = size;
  const renderer = new THREE.WebGPURenderer({
    canvas,
    antialias: scene.antialias ?? false,
    ...(device ? { device } : {}),
  });
  await renderer.init();
  if (!(renderer.backend as { isWebGPUBackend?: boolean }).isWebGPUBackend) {
    throw new Error('three.js fell back to WebGL');
  }
  renderer.setPixelRatio(1);
  renderer.setSize(size, size, false);
  const gpu = (renderer.backend as unknown as { device: GPUDevice }).device;
  const prepared = await scene.setup({ renderer, width: size, height: size, ...assets });
  try {
    prepared.render();
    await gpu.queue.onSubmittedWorkDone();
    prepared.render();
    const context = canvas.getContext('webgpu') as unknown as GPUCanvasContext;
    const texture = context.getCurrentTexture();
    const pitch = Math.ceil((size * 4) / 256) * 256;
    const buffer = gpu.createBuffer({
      size: pitch * size,
      usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ,
    });
    const enc = gpu.createCommandEncoder();
    enc.copyTextureToBuffer({ texture }, { buffer, bytesPerRow: pitch }, [size, size, 1]);
    gpu.queue.submit([enc.finish()]);
    await buffer.mapAsync(GPUMapMode.READ);
    const mapped = new Uint8Array(buffer.getMappedRange());
    const data = new Uint8Array(size * size * 4);
    const bgra = texture.format.startsWith('bgra');
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const s = y * pitch + x * 4;
        const d = (y * size + x) * 4;
        data[d] = mapped[s + (bgra ? 2 : 0)]!;
        data[d + 1] = mapped[s + 1]!;
        data[d + 2] = mapped[s + (bgra ? 0 : 2)]!;
        data[d + 3] = 255; // opaque canvas: alpha is not part of the picture
      }
    }
    buffer.unmap();
    buffer.destroy();
    return { width: size, height: size, data, format: texture.format };
  } finally {
    prepared.dispose();
    renderer.dispose();
  }
}
