/**
 * Zerocast's WebGPU bridge: WebGPU in Node on native/gpu (wgpu), for three.js's WebGPURenderer.
 *
 * ```ts
 * await installWebGPU();
 * const adapter = await navigator.gpu.requestAdapter();
 * const device = await adapter!.requestDevice({ requiredFeatures: [...adapter!.features] });
 * const canvas = createFrameCanvas(1280, 720);
 * const THREE = await import('three/webgpu');
 * const renderer = new THREE.WebGPURenderer({ canvas, device, antialias: false });
 * await renderer.init(); // renderer.backend.isWebGPUBackend === true
 * renderer.render(scene, camera);
 * const frame = canvas.currentTexture(); // rgba8unorm, COPY_SRC | TEXTURE_BINDING
 * ```
 */
export {
  installWebGPU,
  getAdapterInfo,
  type AdapterReport,
  type ZerocastAdapterInfo,
  type ZerocastWebGPU,
  type InstallOptions,
} from './install.ts';
export {
  createFrameCanvas,
  FrameCanvas,
  FrameContext,
  FRAME_TEXTURE_USAGE,
  type FrameContextConfiguration,
} from './canvas.ts';
export { readTexture, type TextureReadback } from './readback.ts';
export * as gpu from './gpu.ts';
export {
  exportCapabilities,
  createExportedBuffer,
  importExportedBuffer,
  createTimeline,
  TimelineSemaphore,
  type ExportCapabilities,
  type ExportedBuffer,
} from './export.ts';
