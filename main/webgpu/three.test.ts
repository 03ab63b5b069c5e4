/**
 * three.js r187 WebGPURenderer on Zerocast's WebGPU (real adapter, no mocks): the WebGPU backend
 * is used (no WebGL fallback), a lit PBR scene with PCF shadows, a basic-material plane and an
 * instanced mesh render into the frame texture without validation errors, and the pixels are
 * where the scene puts them. A compute pass then reads the same frame texture.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFrameCanvas, readTexture, type FrameCanvas } from './index.ts';
import { computeReadback, openTestDevice } from './test-support.ts';
import { luma as bt709Luma } from '../convert/bt709.ts';

type ThreeModule = typeof import('three/webgpu');

let THREE: ThreeModule;
let device: GPUDevice;
const errors: string[] = [];

beforeAll(async () => {
  device = await openTestDevice();
  device.addEventListener('uncapturederror', (ev) => {
    errors.push((ev as GPUUncapturedErrorEvent).error.message);
  });
  THREE = await import('three/webgpu');
});

afterAll(() => {
  device?.destroy();
});

const W = 128;
const H = 128;

/** World (x, z) on the ground → pixel of the top-down orthographic view (8x8 world units). */
function px(x: number, z: number): [number, number] {
  return [Math.floor(((x + 4) / 8) * W), Math.floor(((z + 4) / 8) * H)];
}

function rgbaAt(data: Uint8Array, x: number, z: number): number[] {
  const [u, v] = px(x, z);
  const i = (v * W + u) * 4;
  return [data[i]!, data[i + 1]!, data[i + 2]!, data[i + 3]!];
}

function luma(c: number[]): number {
  return bt709Luma(c[0]!, c[1]!, c[2]!);
}

function buildScene(): {
  scene: InstanceType<ThreeModule['Scene']>;
  camera: InstanceType<ThreeModule['OrthographicCamera']>;
} {
  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0x000000);
  const camera = new THREE.OrthographicCamera(-4, 4, 4, -4, 0.1, 100);
  camera.position.set(0, 20, 0);
  camera.up.set(0, 0, -1);
  camera.lookAt(0, 0, 0);

  const ground = new THREE.Mesh(
    new THREE.PlaneGeometry(8, 8),
    new THREE.MeshStandardMaterial({ color: 0xffffff, roughness: 1, metalness: 0 }),
  );
  ground.rotation.x = -Math.PI / 2;
  ground.receiveShadow = true;
  scene.add(ground);

  const box = new THREE.Mesh(
    new THREE.BoxGeometry(1, 1, 1),
    new THREE.MeshStandardMaterial({ color: 0xffaa33, roughness: 0.5, metalness: 0.1 }),
  );
  box.position.set(0, 1.5, 0);
  box.castShadow = true;
  scene.add(box);

  const red = new THREE.Mesh(
    new THREE.PlaneGeometry(2, 1),
    new THREE.MeshBasicMaterial({ color: 0xff0000 }),
  );
  red.rotation.x = -Math.PI / 2;
  red.position.set(-2, 0.05, -3);
  scene.add(red);

  const cubes = new THREE.InstancedMesh(
    new THREE.BoxGeometry(0.6, 0.6, 0.6),
    new THREE.MeshBasicMaterial({ color: 0xffffff }),
    3,
  );
  const m = new THREE.Matrix4();
  for (let i = 0; i < 3; i++) {
    cubes.setMatrixAt(i, m.makeTranslation(1 + i, 0.3, -3));
    cubes.setColorAt(i, new THREE.Color(i === 1 ? 0x0000ff : 0x00ff00));
  }
  scene.add(cubes);

  scene.add(new THREE.AmbientLight(0xffffff, 0.15));
  const sun = new THREE.DirectionalLight(0xffffff, 3);
  sun.position.set(6, 6, 0);
  sun.target.position.set(0, 0, 0);
  sun.castShadow = true;
  sun.shadow.mapSize.set(512, 512);
  const sc = sun.shadow.camera;
  sc.left = -6;
  sc.right = 6;
  sc.top = 6;
  sc.bottom = -6;
  sc.near = 0.5;
  sc.far = 30;
  scene.add(sun);
  scene.add(sun.target);
  return { scene, camera };
}

describe('three.js WebGPURenderer on Zerocast WebGPU', () => {
  let canvas: FrameCanvas;
  let renderer: InstanceType<ThreeModule['WebGPURenderer']>;

  it('initialises the WebGPU backend (not the WebGL fallback)', async () => {
    canvas = createFrameCanvas(W, H);
    renderer = new THREE.WebGPURenderer({
      canvas: canvas as unknown as HTMLCanvasElement,
      device: device as unknown as GPUDevice,
      antialias: false,
    });
    await renderer.init();
    expect((renderer.backend as { isWebGPUBackend?: boolean }).isWebGPUBackend).toBe(true);
    renderer.setPixelRatio(1);
    renderer.setSize(W, H, false);
    renderer.shadowMap.enabled = true;
    renderer.shadowMap.type = THREE.PCFShadowMap;
  });

  it('renders a PBR + shadow + instanced scene into the frame texture with the expected pixels', async () => {
    const { scene, camera } = buildScene();
    device.pushErrorScope('validation');
    renderer.render(scene, camera);
    renderer.render(scene, camera);
    const frame = canvas.currentTexture();
    expect(frame.width).toBe(W);
    expect(frame.format).toBe('rgba8unorm');
    const { data } = await readTexture(device, frame);
    expect(await device.popErrorScope()).toBeNull();
    await new Promise((r) => setTimeout(r, 150)); // let the uncaptured-error poll run
    expect(errors).toEqual([]);

    // MeshBasicMaterial plane: pure red. Instanced cubes: green, blue (setColorAt), green.
    expect(rgbaAt(data, -2, -3)).toEqual([255, 0, 0, 255]);
    expect(rgbaAt(data, 1, -3)).toEqual([0, 255, 0, 255]);
    expect(rgbaAt(data, 2, -3)).toEqual([0, 0, 255, 255]);
    expect(rgbaAt(data, 3, -3)).toEqual([0, 255, 0, 255]);
    // The lit box's top: orange-ish (red > blue), clearly not background.
    const top = rgbaAt(data, 0, 0);
    expect(top[0]!).toBeGreaterThan(top[2]! + 40);
    expect(luma(top)).toBeGreaterThan(60);
    // Ground: lit on the +x side, shadowed by the box on the -x side (light from +x, +y).
    const lit = rgbaAt(data, 2, 1.5);
    const shadow = rgbaAt(data, -1.5, 0);
    expect(luma(lit)).toBeGreaterThan(120);
    expect(luma(shadow)).toBeLessThan(luma(lit) * 0.5);
    // Unshadowed ground at the same x distance on the other side of the box is lit too.
    expect(luma(rgbaAt(data, -1.5, 2.5))).toBeGreaterThan(luma(shadow) + 40);
  });

  it('a compute pass reads the frame texture on the same device', async () => {
    const frame = canvas.currentTexture();
    const module = device.createShaderModule({
      code: `@group(0) @binding(0) var frame: texture_2d<f32>;
        @group(0) @binding(1) var<storage, read_write> out: array<u32>;
        @compute @workgroup_size(1) fn main(@builtin(global_invocation_id) id: vec3u) {
          let c = textureLoad(frame, vec2u(${px(-2, -3)[0]}u, ${px(-2, -3)[1]}u), 0);
          out[0] = u32(round(c.r * 255.0));
          out[1] = u32(round(c.g * 255.0));
          out[2] = u32(round(c.b * 255.0));
          out[3] = textureDimensions(frame).x;
        }`,
    });
    const bytes = await computeReadback(device, module, [frame.createView()], 16);
    expect(Array.from(new Uint32Array(bytes))).toEqual([255, 0, 0, W]);
  });

  it('recreates the frame texture when the canvas is resized', async () => {
    const before = canvas.currentTexture();
    canvas.resize(96, 64);
    renderer.setSize(96, 64, false);
    const { scene, camera } = buildScene();
    renderer.render(scene, camera);
    const after = canvas.currentTexture();
    expect(after).not.toBe(before);
    expect([after.width, after.height]).toEqual([96, 64]);
    const { data } = await readTexture(device, after);
    // Something other than background was drawn.
    let nonBlack = 0;
    for (let i = 0; i < data.length; i += 4)
      if (data[i]! + data[i + 1]! + data[i + 2]! > 30) nonBlack++;
    expect(nonBlack).toBeGreaterThan((96 * 64) / 2);
    expect(errors).toEqual([]);
  });
});
