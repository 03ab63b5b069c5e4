/**
 * A tiny glTF 2.0 binary (GLB) writer and the project's own test model: a textured, skinned,
 * morph-targeted tube on a JPEG-textured ground plane, with an animation. Nothing downloaded:
 * geometry, images (pngjs, jpeg-js) and the container are all made here.
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

type Json = Record<string, unknown>;

const FLOAT = 5126;
const UNSIGNED_SHORT = 5123;
const UNSIGNED_BYTE = 5121;

/** Collects binary chunks and glTF JSON arrays; {@link GlbBuilder.toGlb} writes the container. */
export class GlbBuilder {
  readonly json: Json & {
    bufferViews: Json[];
    accessors: Json[];
    images: Json[];
  } = {
    asset: { version: '2.0', generator: 'zerocast test GLB writer' },
    bufferViews: [],
    accessors: [],
    images: [],
  };
  private chunks: Uint8Array[] = [];
  private length = 0;

  /** Appends bytes (4-byte aligned) as a bufferView; returns its index. */
  bufferView(bytes: Uint8Array, target?: number): number {
    const pad = (4 - (this.length % 4)) % 4;
    if (pad) {
      this.chunks.push(new Uint8Array(pad));
      this.length += pad;
    }
    const view: Json = { buffer: 0, byteOffset: this.length, byteLength: bytes.byteLength };
    if (target) view.target = target;
    this.chunks.push(bytes);
    this.length += bytes.byteLength;
    return this.json.bufferViews.push(view) - 1;
  }

  /** Adds an accessor over a new bufferView of `data`; POSITION-style min/max when `bounds`. */
  accessor(
    data: Float32Array | Uint16Array | Uint8Array,
    type: 'SCALAR' | 'VEC2' | 'VEC3' | 'VEC4' | 'MAT4',
    options: { bounds?: boolean; target?: number; normalized?: boolean } = {},
  ): number {
    const size = { SCALAR: 1, VEC2: 2, VEC3: 3, VEC4: 4, MAT4: 16 }[type];
    const componentType =
      data instanceof Float32Array
        ? FLOAT
        : data instanceof Uint16Array
          ? UNSIGNED_SHORT
          : UNSIGNED_BYTE;
    const acc: Json = {
      bufferView: this.bufferView(
        new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
        options.target,
      ),
      componentType,
      count: data.length / size,
      type,
    };
    if (options.normalized) acc.normalized = true;
    if (options.bounds) {
      const min = new Array<number>(size).fill(Infinity);
      const max = new Array<number>(size).fill(-Infinity);
      for (let i = 0; i < data.length; i++) {
        const c = i % size;
        min[c] = Math.min(min[c]!, data[i]!);
        max[c] = Math.max(max[c]!, data[i]!);
      }
      acc.min = min;
      acc.max = max;
    }
    return this.json.accessors.push(acc) - 1;
  }

  /** Embeds an image (image/png or image/jpeg) as a bufferView; returns the image index. */
  image(bytes: Uint8Array, mimeType: 'image/png' | 'image/jpeg'): number {
    return this.json.images.push({ bufferView: this.bufferView(bytes), mimeType }) - 1;
  }

  /** The GLB container: header, JSON chunk (space-padded), BIN chunk (zero-padded). */
  toGlb(): Uint8Array {
    const bin = new Uint8Array((this.length + 3) & ~3);
    let o = 0;
    for (const c of this.chunks) {
      bin.set(c, o);
      o += c.byteLength;
    }
    const json = { ...this.json, buffers: [{ byteLength: bin.byteLength }] };
    let text = JSON.stringify(json);
    while (Buffer.byteLength(text) % 4) text += ' ';
    const jsonBytes = new TextEncoder().encode(text);
    const total = 12 + 8 + jsonBytes.byteLength + 8 + bin.byteLength;
    const out = new Uint8Array(total);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, 0x46546c67, true); // 'glTF'
    dv.setUint32(4, 2, true);
    dv.setUint32(8, total, true);
    dv.setUint32(12, jsonBytes.byteLength, true);
    dv.setUint32(16, 0x4e4f534a, true); // 'JSON'
    out.set(jsonBytes, 20);
    const b = 20 + jsonBytes.byteLength;
    dv.setUint32(b, bin.byteLength, true);
    dv.setUint32(b + 4, 0x004e4942, true); // 'BIN\0'
    out.set(bin, b + 8);
    return out;
  }
}

/** Stripes for the tube (PNG, with alpha). */
function stripesPng(): Uint8Array {
  const png = new PNG({ width: 64, height: 64 });
  for (let y = 0; y < 64; y++) {
    for (let x = 0; x < 64; x++) {
      const i = (y * 64 + x) * 4;
      const band = Math.floor(y / 8) % 2;
      const dot = (x % 16) - 8;
      const ring = dot * dot < 10;
      png.data[i] = band ? 240 : ring ? 20 : 200;
      png.data[i + 1] = band ? 120 : 40;
      png.data[i + 2] = band ? 30 : ring ? 230 : 60;
      png.data[i + 3] = 255;
    }
  }
  return new Uint8Array(PNG.sync.write(png));
}

/** A smooth-ish tiled pattern for the ground (JPEG, quality 90). */
function groundJpeg(): Uint8Array {
  const w = 64;
  const data = Buffer.alloc(w * w * 4);
  for (let y = 0; y < w; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      const t = (Math.floor(x / 16) + Math.floor(y / 16)) % 2;
      data[i] = t ? 90 : 180;
      data[i + 1] = t ? 150 : 200;
      data[i + 2] = t ? 90 : 170;
      data[i + 3] = 255;
    }
  }
  return new Uint8Array(jpeg.encode({ data, width: w, height: w }, 90).data);
}

/**
 * Builds the test model: a tube of 2 units along +Y skinned to a 3-joint chain, with a "bulge" morph
 * target, a PNG base-colour texture, on a 4x4 ground plane with a JPEG texture, and a 2-second
 * looping animation bending the joints and pulsing the morph weight.
 * @returns The .glb bytes.
 */
export function buildTestModel(): Uint8Array {
  const g = new GlbBuilder();
  const rings = 17;
  const around = 24;
  const pos: number[] = [];
  const nrm: number[] = [];
  const uv: number[] = [];
  const joints: number[] = [];
  const weights: number[] = [];
  const bulge: number[] = [];
  for (let r = 0; r < rings; r++) {
    const y = (r / (rings - 1)) * 2;
    for (let a = 0; a <= around; a++) {
      const th = (a / around) * Math.PI * 2;
      const c = Math.cos(th);
      const s = Math.sin(th);
      pos.push(c * 0.3, y, s * 0.3);
      nrm.push(c, 0, s);
      uv.push(a / around, r / (rings - 1));
      // Joints at y = 0, 0.7, 1.4: blend the two nearest.
      const f = Math.min(y / 0.7, 2);
      const j0 = Math.min(Math.floor(f), 1);
      const w1 = Math.min(Math.max(f - j0, 0), 1);
      joints.push(j0, j0 + 1, 0, 0);
      weights.push(1 - w1, w1, 0, 0);
      const k = Math.sin((y / 2) * Math.PI) * 0.18;
      bulge.push(c * k, 0, s * k);
    }
  }
  const idx: number[] = [];
  for (let r = 0; r < rings - 1; r++) {
    for (let a = 0; a < around; a++) {
      const i0 = r * (around + 1) + a;
      const i1 = i0 + around + 1;
      idx.push(i0, i1, i0 + 1, i0 + 1, i1, i1 + 1);
    }
  }
  const ARRAY = 34962;
  const ELEMENT = 34963;
  const tube = {
    attributes: {
      POSITION: g.accessor(new Float32Array(pos), 'VEC3', { bounds: true, target: ARRAY }),
      NORMAL: g.accessor(new Float32Array(nrm), 'VEC3', { target: ARRAY }),
      TEXCOORD_0: g.accessor(new Float32Array(uv), 'VEC2', { target: ARRAY }),
      JOINTS_0: g.accessor(new Uint8Array(joints), 'VEC4', { target: ARRAY }),
      WEIGHTS_0: g.accessor(new Float32Array(weights), 'VEC4', { target: ARRAY }),
    },
    indices: g.accessor(new Uint16Array(idx), 'SCALAR', { target: ELEMENT }),
    material: 0,
    targets: [
      { POSITION: g.accessor(new Float32Array(bulge), 'VEC3', { bounds: true, target: ARRAY }) },
    ],
  };
  const ground = {
    attributes: {
      POSITION: g.accessor(new Float32Array([-2, 0, -2, 2, 0, -2, -2, 0, 2, 2, 0, 2]), 'VEC3', {
        bounds: true,
      }),
      NORMAL: g.accessor(new Float32Array([0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0]), 'VEC3'),
      TEXCOORD_0: g.accessor(new Float32Array([0, 0, 2, 0, 0, 2, 2, 2]), 'VEC2'),
    },
    indices: g.accessor(new Uint16Array([0, 2, 1, 1, 2, 3]), 'SCALAR'),
    material: 1,
  };
  const ibm = new Float32Array(48);
  [0, 0.7, 1.4].forEach((y, j) => {
    const m = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, -y, 0, 1];
    ibm.set(m, j * 16);
  });
  const times = g.accessor(new Float32Array([0, 1, 2]), 'SCALAR', { bounds: true });
  const q = (ax: 'x' | 'z', angle: number): number[] =>
    ax === 'x'
      ? [Math.sin(angle / 2), 0, 0, Math.cos(angle / 2)]
      : [0, 0, Math.sin(angle / 2), Math.cos(angle / 2)];
  const rot1 = g.accessor(new Float32Array([...q('z', 0), ...q('z', 0.7), ...q('z', 0)]), 'VEC4');
  const rot2 = g.accessor(new Float32Array([...q('x', 0), ...q('x', -0.8), ...q('x', 0)]), 'VEC4');
  const morph = g.accessor(new Float32Array([0, 1, 0]), 'SCALAR');
  g.image(stripesPng(), 'image/png');
  g.image(groundJpeg(), 'image/jpeg');
  Object.assign(g.json, {
    scene: 0,
    scenes: [{ nodes: [0, 4, 5] }],
    nodes: [
      { name: 'Armature', children: [1] },
      { name: 'Joint0', children: [2] },
      { name: 'Joint1', translation: [0, 0.7, 0], children: [3] },
      { name: 'Joint2', translation: [0, 0.7, 0] },
      { name: 'Tube', mesh: 0, skin: 0 },
      { name: 'Ground', mesh: 1 },
    ],
    meshes: [
      { name: 'Tube', primitives: [tube], weights: [0] },
      { name: 'Ground', primitives: [ground] },
    ],
    skins: [{ joints: [1, 2, 3], inverseBindMatrices: g.accessor(ibm, 'MAT4') }],
    samplers: [{ magFilter: 9729, minFilter: 9987, wrapS: 10497, wrapT: 10497 }],
    textures: [
      { sampler: 0, source: 0 },
      { sampler: 0, source: 1 },
    ],
    materials: [
      {
        name: 'Stripes',
        pbrMetallicRoughness: {
          baseColorTexture: { index: 0 },
          metallicFactor: 0,
          roughnessFactor: 0.55,
        },
      },
      {
        name: 'Ground',
        pbrMetallicRoughness: {
          baseColorTexture: { index: 1 },
          metallicFactor: 0,
          roughnessFactor: 0.9,
        },
      },
    ],
    animations: [
      {
        name: 'Bend',
        samplers: [
          { input: times, output: rot1, interpolation: 'LINEAR' },
          { input: times, output: rot2, interpolation: 'LINEAR' },
          { input: times, output: morph, interpolation: 'LINEAR' },
        ],
        channels: [
          { sampler: 0, target: { node: 2, path: 'rotation' } },
          { sampler: 1, target: { node: 3, path: 'rotation' } },
          { sampler: 2, target: { node: 4, path: 'weights' } },
        ],
      },
    ],
  });
  return g.toGlb();
}
