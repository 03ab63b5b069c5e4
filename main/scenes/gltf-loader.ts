/**
 * glTF/GLB in the main process (Node, no DOM): three's GLTFLoader with its image loading replaced.
 *
 * GLTFLoader decodes embedded images through `ImageBitmapLoader` (createImageBitmap) or
 * `TextureLoader` (an <img>), neither of which exists in Node. {@link createGLTFLoader} registers a
 * plugin that swaps the parser's texture loader for {@link RegistryImageDecoder}: it receives the
 * image's bufferView bytes (the path GLTFLoader uses for loaders that parse binary images
 * themselves), decodes PNG with `pngjs` and JPEG with `jpeg-js` (pure JS, from the npm registry)
 * and resolves an RGBA8 `DataTexture`. GLTFLoader then applies the glTF sampler, `flipY = false`
 * and the colour space as for any texture; mipmaps are generated on the GPU when the sampler's
 * min filter asks for them. native/gpu's `copyExternalImageToTexture` is never needed.
 */
import { DataTexture, RGBAFormat, UnsignedByteType } from 'three';
import { GLTFLoader, type GLTF } from 'three/examples/jsm/loaders/GLTFLoader.js';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

export type { GLTF };

/** Decoded RGBA8 pixels, rows top-down. */
export interface DecodedImage {
  width: number;
  height: number;
  data: Uint8Array;
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47];

/** Largest image edge accepted (a guard against decompression bombs in uploaded models). */
export const MAX_IMAGE_EDGE = 8192;

/**
 * Decodes PNG or JPEG bytes (sniffed from the magic number) to RGBA8.
 * @throws Error naming the format when the bytes are neither PNG nor JPEG, are corrupt, or the
 *   image is larger than {@link MAX_IMAGE_EDGE} on a side.
 */
export function decodeImage(bytes: Uint8Array): DecodedImage {
  let out: DecodedImage;
  if (PNG_MAGIC.every((b, i) => bytes[i] === b)) {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    out = { width: png.width, height: png.height, data: new Uint8Array(png.data) };
  } else if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    const img = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: (MAX_IMAGE_EDGE * MAX_IMAGE_EDGE) / 1e6,
    });
    out = { width: img.width, height: img.height, data: img.data };
  } else {
    throw new Error(
      'glTF image is neither PNG nor JPEG (only image/png and image/jpeg are supported)',
    );
  }
  if (out.width > MAX_IMAGE_EDGE || out.height > MAX_IMAGE_EDGE) {
    throw new Error(`glTF image is ${out.width}x${out.height}; at most ${MAX_IMAGE_EDGE} per side`);
  }
  return out;
}

/**
 * The texture "loader" GLTFLoader's parser uses in Node: `parse(bytes, onLoad, onError)` decodes an
 * embedded image into a DataTexture. It takes GLTFLoader's binary-image path (the one
 * `isKTX2Loader` selects: the bufferView handed over directly, no object URL, no fetch).
 */
export class RegistryImageDecoder {
  /** Makes GLTFLoader hand over bufferView bytes instead of an object URL. */
  readonly isKTX2Loader = true;
  /** Images decoded so far (for tests and logs). */
  decoded = 0;

  /** Decodes `buffer` and calls `onLoad` with an RGBA8 DataTexture (or `onError`). */
  parse(
    buffer: ArrayBuffer,
    onLoad: (t: DataTexture) => void,
    onError: (e: unknown) => void,
  ): void {
    try {
      const img = decodeImage(new Uint8Array(buffer));
      const texture = new DataTexture(
        img.data,
        img.width,
        img.height,
        RGBAFormat,
        UnsignedByteType,
      );
      texture.needsUpdate = true;
      this.decoded++;
      onLoad(texture);
    } catch (error) {
      onError(error);
    }
  }

  /** URI images (external files, data: URIs) are not supported in the main process. */
  load(url: string, _onLoad: unknown, _onProgress: unknown, onError: (e: unknown) => void): void {
    onError(
      new Error(
        `glTF image URI not supported in Zerocast (embed images in the GLB): ${url.slice(0, 60)}`,
      ),
    );
  }

  // GLTFLoader configures its texture loader with these; nothing to do for in-memory bytes.
  setCrossOrigin(): this {
    return this;
  }
  setWithCredentials(): this {
    return this;
  }
  setRequestHeader(): this {
    return this;
  }
  setPriority(): this {
    return this;
  }
  setCache(): this {
    return this;
  }
}

/** A GLTFLoader whose embedded PNG/JPEG images are decoded by {@link RegistryImageDecoder}. */
export function createGLTFLoader(decoder = new RegistryImageDecoder()): GLTFLoader {
  const loader = new GLTFLoader();
  loader.register((parser) => {
    (parser as unknown as { textureLoader: unknown }).textureLoader = decoder;
    return { name: 'zerocast_registry_image_decoder' };
  });
  return loader;
}

/**
 * Parses a .glb (or a self-contained .gltf with embedded buffers) in Node.
 * @throws Error with GLTFLoader's message for malformed input, or when an image can't be decoded
 *   (GLTFLoader itself would silently drop such a texture; this makes it an error).
 */
export async function loadGLB(bytes: Uint8Array | ArrayBuffer): Promise<GLTF> {
  const buffer =
    bytes instanceof ArrayBuffer
      ? bytes
      : (bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  const decoder = new RegistryImageDecoder();
  const errors: unknown[] = [];
  const parse = decoder.parse.bind(decoder);
  decoder.parse = (b, ok, fail) =>
    parse(b, ok, (e) => {
      errors.push(e);
      fail(e);
    });
  const gltf = await createGLTFLoader(decoder).parseAsync(buffer, '');
  if (errors.length)
    throw new Error(
      `glTF texture failed to decode: ${String((errors[0] as Error).message ?? errors[0])}`,
    );
  return gltf;
}
