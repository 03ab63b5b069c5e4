/**
 * Reads a 2D texture back to the CPU (copyTextureToBuffer + mapAsync). For tests, debugging and
 * reference captures; the streaming path reads the NV12 buffer instead.
 */
import { GPUBufferUsage, GPUMapMode } from './gpu.ts';

/** Pixels of one texture, rows tightly packed (`width * bytesPerPixel` bytes each). */
export interface TextureReadback {
  width: number;
  height: number;
  /** Bytes per pixel (4 for rgba8unorm/bgra8unorm). */
  bytesPerPixel: number;
  data: Uint8Array;
}

/**
 * Copies mip 0 / layer 0 of `texture` (4-byte-per-pixel formats) into a mappable buffer and
 * returns its bytes. The texture needs COPY_SRC usage.
 */
export async function readTexture(
  device: GPUDevice,
  texture: GPUTexture,
  bytesPerPixel = 4,
): Promise<TextureReadback> {
  const { width, height } = texture;
  const rowBytes = width * bytesPerPixel;
  const pitch = Math.ceil(rowBytes / 256) * 256;
  const buffer = device.createBuffer({
    label: 'zerocast-readback',
    size: pitch * height,
    usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ,
  });
  const enc = device.createCommandEncoder();
  enc.copyTextureToBuffer({ texture }, { buffer, bytesPerRow: pitch, rowsPerImage: height }, [
    width,
    height,
    1,
  ]);
  device.queue.submit([enc.finish()]);
  await buffer.mapAsync(GPUMapMode.READ);
  const mapped = new Uint8Array(buffer.getMappedRange());
  const data = new Uint8Array(rowBytes * height);
  for (let y = 0; y < height; y++)
    data.set(mapped.subarray(y * pitch, y * pitch + rowBytes), y * rowBytes);
  buffer.unmap();
  buffer.destroy();
  return { width, height, bytesPerPixel, data };
}
