/**
 * Test support: simple measures on PNG screenshots / captured video frames (RGBA via pngjs).
 */
import { PNG } from 'pngjs';

/**
 * Mean absolute difference per RGB channel (0..255) between two PNGs of one size.
 * @throws Error when the sizes differ.
 */
export function pngMeanDiff(a: Buffer, b: Buffer): number {
  const pa = PNG.sync.read(a);
  const pb = PNG.sync.read(b);
  if (pa.width !== pb.width || pa.height !== pb.height) {
    throw new Error(`PNG sizes differ: ${pa.width}x${pa.height} vs ${pb.width}x${pb.height}`);
  }
  let sum = 0;
  for (let i = 0; i < pa.data.length; i += 4) {
    for (let c = 0; c < 3; c++) sum += Math.abs(pa.data[i + c]! - pb.data[i + c]!);
  }
  return sum / ((pa.data.length / 4) * 3);
}

/**
 * Mean RGB value (0..255) and the spread (standard deviation) of BT.709 luma of a PNG: a blank
 * or flat frame has a small spread.
 */
export function pngStats(png: Buffer): { mean: number; lumaStdDev: number } {
  const p = PNG.sync.read(png);
  const n = p.width * p.height;
  let rgb = 0;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < p.data.length; i += 4) {
    rgb += p.data[i]! + p.data[i + 1]! + p.data[i + 2]!;
    const y = 0.2126 * p.data[i]! + 0.7152 * p.data[i + 1]! + 0.0722 * p.data[i + 2]!;
    sum += y;
    sumSq += y * y;
  }
  const mean = sum / n;
  return { mean: rgb / (n * 3), lumaStdDev: Math.sqrt(Math.max(0, sumSq / n - mean * mean)) };
}
