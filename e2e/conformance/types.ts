/**
 * The contract of a conformance scene: one module, usable in Node (native/gpu) and in Chromium
 * (its own WebGPU), rendered at a fixed time by the same harness code in both.
 */
import type * as THREE from 'three/webgpu';
import type { GLTF } from 'three/examples/jsm/loaders/GLTFLoader.js';

/** What the harness gives a scene's `setup`. */
export interface ConformanceContext {
  /** An initialised WebGPURenderer drawing into a `width` x `height` canvas. */
  readonly renderer: THREE.WebGPURenderer;
  readonly width: number;
  readonly height: number;
  /**
   * Parses a .glb. Node: three's GLTFLoader with Zerocast's registry image decoder (pngjs/jpeg-js →
   * DataTexture); Chromium: three's GLTFLoader as shipped (ImageBitmap).
   */
  loadGLB(glb: ArrayBuffer): Promise<GLTF>;
  /** The test model (`buildTestModel()` of e2e/support/conformance-glb.ts), for the glTF scene. */
  readonly glb: ArrayBuffer;
}

/** A set-up scene: `render()` draws one frame into the canvas, synchronously. */
export interface PreparedScene {
  render(): void;
  dispose(): void;
}

/** One conformance scene. */
export interface ConformanceScene {
  /** Short name, printed with the score and used for artifact file names. */
  readonly name: string;
  /** What it covers. */
  readonly covers: string;
  /** Renderer option: MSAA (4 samples) when true. */
  readonly antialias?: boolean;
  /** Builds the scene at its fixed time (awaits what needs awaiting: PMREM, compute, glTF). */
  setup(ctx: ConformanceContext): Promise<PreparedScene>;
}

/** Canvas size of every conformance scene. */
export const CONFORMANCE_SIZE = 256;
