/**
 * `test-pattern`: a deterministic pattern for tests and for checking a viewer by eye.
 *
 * Layout (fractions of the output, origin top-left, as a decoded video frame is read):
 * - rows 0 .. 0.6: eight vertical colour bars of equal width, EBU 75% bars (see {@link TEST_PATTERN_BARS});
 * - rows 0.6 .. 0.8: a dark track with a white square that moves one step per frame;
 * - rows 0.8 .. 1: the frame counter, 16 cells, the frame id in binary (most significant bit left),
 *   white for 1 and black for 0, on mid grey.
 * Everything depends on the frame id alone, so frame N looks the same in every run.
 */
import type { SceneDefinition, SceneInstance, SceneContext } from './types.ts';
import { disposeTree } from './types.ts';
import { luma } from '../convert/bt709.ts';

/**
 * The colour bars, left to right, as sRGB bytes: EBU 100/0/75/0 bars (100% white, colours at 75%
 * amplitude), the broadcast standard, which keeps every bar inside the legal YCbCr gamut.
 */
export const TEST_PATTERN_BARS: ReadonlyArray<{
  name: string;
  rgb: readonly [number, number, number];
}> = [
  { name: 'white', rgb: [255, 255, 255] },
  { name: 'yellow', rgb: [191, 191, 0] },
  { name: 'cyan', rgb: [0, 191, 191] },
  { name: 'green', rgb: [0, 191, 0] },
  { name: 'magenta', rgb: [191, 0, 191] },
  { name: 'red', rgb: [191, 0, 0] },
  { name: 'blue', rgb: [0, 0, 191] },
  { name: 'black', rgb: [0, 0, 0] },
];

/** Bits in the frame counter. */
export const COUNTER_BITS = 16;
/** Steps the moving square takes to cross the track. */
export const TRACK_STEPS = 120;

const BARS_BOTTOM = 0.6;
const TRACK_BOTTOM = 0.8;

/** Pixel at the centre of colour bar `index` for a `width` x `height` frame. */
export function barCenter(index: number, width: number, height: number): [number, number] {
  return [
    Math.floor(((index + 0.5) / TEST_PATTERN_BARS.length) * width),
    Math.floor(BARS_BOTTOM * 0.5 * height),
  ];
}

/** Pixel at the centre of counter cell `bit` (0 = least significant) for a `width` x `height` frame. */
export function counterCellCenter(bit: number, width: number, height: number): [number, number] {
  const slot = COUNTER_BITS - 1 - bit;
  return [
    Math.floor(((slot + 0.5) / COUNTER_BITS) * width),
    Math.floor(((TRACK_BOTTOM + 1) / 2) * height),
  ];
}

/**
 * Reads the frame counter from a picture through `sample(x, y) → [r, g, b]` (pixel coordinates,
 * origin top-left). A cell counts as 1 when its luma is above mid grey.
 */
export function readCounter(
  sample: (x: number, y: number) => readonly [number, number, number],
  width: number,
  height: number,
): number {
  let value = 0;
  for (let bit = 0; bit < COUNTER_BITS; bit++) {
    const [x, y] = counterCellCenter(bit, width, height);
    const [r, g, b] = sample(x, y);
    if (luma(r, g, b) > 128) value |= 1 << bit;
  }
  return value;
}

export const testPattern: SceneDefinition = {
  name: 'test-pattern',
  description: 'colour bars, a moving square and a binary frame counter (deterministic, for tests)',
  shadows: false,
  create({ THREE }: SceneContext): SceneInstance {
    const scene = new THREE.Scene();
    scene.background = new THREE.Color(0x000000);
    // World units are fractions of the frame: x right 0..1, y up 0..1.
    const camera = new THREE.OrthographicCamera(0, 1, 1, 0, -1, 1);

    const rect = (
      x0: number,
      top: number,
      x1: number,
      bottom: number,
      material: InstanceType<typeof THREE.Material>,
    ) => {
      // `top`/`bottom` are measured from the top of the frame, as in the layout above.
      const mesh = new THREE.Mesh(new THREE.PlaneGeometry(x1 - x0, bottom - top), material);
      mesh.position.set((x0 + x1) / 2, 1 - (top + bottom) / 2, 0);
      scene.add(mesh);
      return mesh;
    };
    const solid = (rgb: readonly [number, number, number]) =>
      new THREE.MeshBasicMaterial({
        color: new THREE.Color().setRGB(
          rgb[0] / 255,
          rgb[1] / 255,
          rgb[2] / 255,
          THREE.SRGBColorSpace,
        ),
      });

    TEST_PATTERN_BARS.forEach((bar, i) => {
      const n = TEST_PATTERN_BARS.length;
      rect(i / n, 0, (i + 1) / n, BARS_BOTTOM, solid(bar.rgb));
    });

    rect(0, BARS_BOTTOM, 1, TRACK_BOTTOM, solid([32, 32, 32]));
    const squareSize = TRACK_BOTTOM - BARS_BOTTOM;
    const square = rect(0, BARS_BOTTOM, squareSize * 0.5625, TRACK_BOTTOM, solid([255, 255, 255]));
    square.position.z = 0.5;

    rect(0, TRACK_BOTTOM, 1, 1, solid([128, 128, 128]));
    const on = solid([255, 255, 255]);
    const off = solid([0, 0, 0]);
    const cells: InstanceType<typeof THREE.Mesh>[] = [];
    for (let slot = 0; slot < COUNTER_BITS; slot++) {
      const margin = 0.18 / COUNTER_BITS;
      const cell = rect(
        slot / COUNTER_BITS + margin,
        TRACK_BOTTOM + 0.03,
        (slot + 1) / COUNTER_BITS - margin,
        0.97,
        off,
      );
      cell.position.z = 0.5;
      cells.push(cell);
    }

    const instance: SceneInstance = {
      scene,
      camera,
      update(_timeMs, frameId) {
        const width = (square.geometry as InstanceType<typeof THREE.PlaneGeometry>).parameters
          .width;
        const step = frameId % TRACK_STEPS;
        square.position.x = width / 2 + (step / (TRACK_STEPS - 1)) * (1 - width);
        for (let slot = 0; slot < COUNTER_BITS; slot++) {
          const bit = COUNTER_BITS - 1 - slot;
          cells[slot]!.material = (frameId >> bit) & 1 ? on : off;
        }
      },
      resize() {
        // The orthographic camera spans the frame whatever its size.
      },
      dispose() {
        disposeTree(scene);
        on.dispose();
        off.dispose();
      },
    };
    instance.update(0, 0);
    return instance;
  },
};
