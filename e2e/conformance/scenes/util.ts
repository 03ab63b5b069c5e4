/** Helpers shared by conformance scenes (deterministic: no Math.random, no clocks). */
import * as THREE from 'three/webgpu';

/** A small deterministic PRNG (mulberry32) so both renderers see the same "random" scene. */
export { rng } from '../../support/rng.ts';

/** A `size` x `size` RGBA checkerboard DataTexture of `cells` cells per side. */
export function checkerTexture(
  size: number,
  cells: number,
  a: [number, number, number],
  b: [number, number, number],
): THREE.DataTexture {
  const data = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const c = (Math.floor((x * cells) / size) + Math.floor((y * cells) / size)) % 2 ? a : b;
      const i = (y * size + x) * 4;
      data[i] = c[0];
      data[i + 1] = c[1];
      data[i + 2] = c[2];
      data[i + 3] = 255;
    }
  }
  const t = new THREE.DataTexture(data, size, size, THREE.RGBAFormat);
  t.colorSpace = THREE.SRGBColorSpace;
  t.needsUpdate = true;
  return t;
}

/** Disposes geometries, materials and textures below `root`. */
export function disposeAll(root: THREE.Object3D): void {
  root.traverse((o) => {
    const m = o as THREE.Mesh;
    m.geometry?.dispose();
    const mats = Array.isArray(m.material) ? m.material : m.material ? [m.material] : [];
    for (const mat of mats) {
      for (const v of Object.values(mat))
        if ((v as THREE.Texture)?.isTexture) (v as THREE.Texture).dispose();
      mat.dispose();
    }
  });
}

/** A PreparedScene rendering `scene` with `camera`. */
export function plain(
  renderer: THREE.WebGPURenderer,
  scene: THREE.Scene,
  camera: THREE.Camera,
  extra: () => void = () => {},
): { render(): void; dispose(): void } {
  return {
    render: () => renderer.render(scene, camera),
    dispose: () => {
      disposeAll(scene);
      extra();
    },
  };
}
