/**
 * Text drawn into a texture. Node has no 2D canvas, so both renderers draw the text the same way:
 * a tiny 5x7 bitmap font rasterised into a DataTexture (identical texels in Node and Chromium, so
 * the comparison measures the GPU, not two different font rasterisers), shown on a plane and a
 * sprite with linear filtering and mipmaps.
 */
import * as THREE from 'three/webgpu';
import type { ConformanceScene } from '../types.ts';
import { plain } from './util.ts';

const FONT: Record<string, string[]> = {
  ' ': ['00000', '00000', '00000', '00000', '00000', '00000', '00000'],
  A: ['01110', '10001', '10001', '11111', '10001', '10001', '10001'],
  B: ['11110', '10001', '10001', '11110', '10001', '10001', '11110'],
  C: ['01110', '10001', '10000', '10000', '10000', '10001', '01110'],
  E: ['11111', '10000', '10000', '11110', '10000', '10000', '11111'],
  G: ['01110', '10001', '10000', '10111', '10001', '10001', '01111'],
  O: ['01110', '10001', '10001', '10001', '10001', '10001', '01110'],
  P: ['11110', '10001', '10001', '11110', '10000', '10000', '10000'],
  R: ['11110', '10001', '10001', '11110', '10100', '10010', '10001'],
  S: ['01111', '10000', '10000', '01110', '00001', '00001', '11110'],
  T: ['11111', '00100', '00100', '00100', '00100', '00100', '00100'],
  U: ['10001', '10001', '10001', '10001', '10001', '10001', '01110'],
  W: ['10001', '10001', '10001', '10101', '10101', '10101', '01010'],
  Z: ['11111', '00001', '00010', '00100', '01000', '10000', '11111'],
  '0': ['01110', '10011', '10101', '10101', '11001', '10001', '01110'],
  '1': ['00100', '01100', '00100', '00100', '00100', '00100', '01110'],
  '2': ['01110', '10001', '00001', '00010', '00100', '01000', '11111'],
  '3': ['11110', '00001', '00001', '01110', '00001', '00001', '11110'],
  '4': ['00010', '00110', '01010', '10010', '11111', '00010', '00010'],
  '5': ['11111', '10000', '11110', '00001', '00001', '10001', '01110'],
  '6': ['00110', '01000', '10000', '11110', '10001', '10001', '01110'],
  '7': ['11111', '00001', '00010', '00100', '01000', '01000', '01000'],
  '8': ['01110', '10001', '10001', '01110', '10001', '10001', '01110'],
  '9': ['01110', '10001', '10001', '01111', '00001', '00010', '01100'],
};

/**
 * Rasterises `lines` of text (characters of {@link FONT}) at `scale` texels per font pixel into an
 * RGBA DataTexture: `fg` text on `bg`, 2-texel margin, power-of-two size.
 */
export function textTexture(
  lines: string[],
  scale: number,
  fg: [number, number, number],
  bg: [number, number, number, number],
): THREE.DataTexture {
  const cols = Math.max(...lines.map((l) => l.length));
  const w = 1 << Math.ceil(Math.log2(cols * 6 * scale + 4));
  const h = 1 << Math.ceil(Math.log2(lines.length * 9 * scale + 4));
  const data = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) data.set(bg, i * 4);
  lines.forEach((line, row) => {
    [...line].forEach((ch, col) => {
      const glyph = FONT[ch] ?? FONT[' ']!;
      glyph.forEach((bits, gy) => {
        for (let gx = 0; gx < 5; gx++) {
          if (bits[gx] !== '1') continue;
          for (let sy = 0; sy < scale; sy++) {
            for (let sx = 0; sx < scale; sx++) {
              const x = 2 + (col * 6 + gx) * scale + sx;
              const y = h - 1 - (2 + (row * 9 + gy) * scale + sy); // bottom-up rows: v = 0 is the bottom
              data.set([...fg, 255], (y * w + x) * 4);
            }
          }
        }
      });
    });
  });
  const t = new THREE.DataTexture(data, w, h, THREE.RGBAFormat);
  t.flipY = false;
  t.colorSpace = THREE.SRGBColorSpace;
  t.generateMipmaps = true;
  t.minFilter = THREE.LinearMipmapLinearFilter;
  t.magFilter = THREE.LinearFilter;
  t.needsUpdate = true;
  return t;
}

export const textTextureScene: ConformanceScene = {
  name: 'text-texture',
  covers:
    'text rasterised into a DataTexture (bitmap font), transparent text sprite, tilted plane with mipmaps',
  async setup({ renderer }) {
    const scene = new THREE.Scene();
    scene.background = new THREE.Color(0x1a1a2e);
    const board = textTexture(
      ['ZEROCAST', 'WEBGPU R187', '0123456789'],
      2,
      [255, 255, 255],
      [30, 90, 160, 255],
    );
    const plane = new THREE.Mesh(
      new THREE.PlaneGeometry(3, 1.5),
      new THREE.MeshBasicMaterial({ map: board, side: THREE.DoubleSide }),
    );
    plane.rotation.set(-0.5, 0.3, 0.05);
    scene.add(plane);
    const label = textTexture(['GPU 42'], 3, [255, 220, 40], [0, 0, 0, 0]);
    const sprite = new THREE.Sprite(new THREE.SpriteMaterial({ map: label, transparent: true }));
    sprite.center.set(0.5, 0.5);
    sprite.scale.set(2, 0.5, 1);
    sprite.position.set(0, -1.2, 0.5);
    scene.add(sprite);
    const camera = new THREE.PerspectiveCamera(50, 1, 0.1, 20);
    camera.position.z = 4;
    return plain(renderer, scene, camera);
  },
};
