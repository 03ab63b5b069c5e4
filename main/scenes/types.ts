/**
 * The scene contract: what a built-in scene (or, later, a loaded glTF model) gives the engine.
 *
 * Scenes are plain three.js. They receive the `three/webgpu` module from the engine (it is imported
 * only after the WebGPU bridge installed `navigator.gpu`), so a scene never imports three itself.
 */
import type * as ThreeWebGPU from 'three/webgpu';

/** The `three/webgpu` module namespace. */
export type Three = typeof ThreeWebGPU;

/** A scene instance, ready to render. */
export interface SceneInstance {
  /** The scene graph to render. */
  readonly scene: ThreeWebGPU.Scene;
  /** The camera to render it with. */
  readonly camera: ThreeWebGPU.Camera;
  /** World point viewers orbit around when interaction is on; absent for fixed views. */
  readonly target?: readonly [number, number, number];
  /**
   * Moves the scene to time `timeMs` (ms since the stream started). Deterministic: the same time
   * gives the same picture, whatever frames came before.
   */
  update(timeMs: number, frameId: number): void;
  /** Adapts the camera to a new output size in pixels. */
  resize(width: number, height: number): void;
  /** Frees geometries, materials and textures. */
  dispose(): void;
}

/** What the engine passes to a scene factory. */
export interface SceneContext {
  readonly THREE: Three;
  /** Output size in pixels. */
  readonly width: number;
  readonly height: number;
}

/** A built-in scene. */
export interface SceneDefinition {
  /** CLI name, e.g. `showroom`. */
  readonly name: string;
  /** One line for `--help` and the UI. */
  readonly description: string;
  /** Whether the renderer should compute shadow maps for this scene. */
  readonly shadows: boolean;
  create(context: SceneContext): SceneInstance;
}

/** Disposes every geometry and material (and their textures) below `root`. */
export function disposeTree(root: ThreeWebGPU.Object3D): void {
  root.traverse((object) => {
    const mesh = object as ThreeWebGPU.Mesh;
    mesh.geometry?.dispose();
    const materials = Array.isArray(mesh.material)
      ? mesh.material
      : mesh.material
        ? [mesh.material]
        : [];
    for (const material of materials) {
      for (const value of Object.values(material)) {
        if (value && typeof value === 'object' && (value as ThreeWebGPU.Texture).isTexture) {
          (value as ThreeWebGPU.Texture).dispose();
        }
      }
      material.dispose();
    }
  });
}
