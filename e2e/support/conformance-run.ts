/**
 * Runs the Node side of the conformance suite against reference images (Chromium's), prints every
 * scene's score and, for a failure, writes the two images and a difference image.
 * Used by e2e/conformance.e2e.test.ts (references rendered live) and by the GPU-machine run
 * (e2e/conformance/device-main.ts, references carried over as PNGs).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openNodeConformance } from '../conformance/node-render.ts';
import {
  diffImage,
  encodePng,
  formatScore,
  score,
  type RgbaImage,
  type SceneScore,
} from './conformance-metrics.ts';

/** What {@link runNodeConformance} found. */
export interface ConformanceReport {
  adapter: string;
  scores: SceneScore[];
  /** WebGPU validation errors raised while rendering (scene: message). */
  errors: string[];
  /** Printable summary: adapter line, one line per scene, totals. */
  text: string;
}

/**
 * Renders every scene on native/gpu and scores it against `references` (by scene name).
 * @param artifacts Directory for failures: `<scene>.zerocast.png`, `<scene>.chromium.png`, `<scene>.diff.png`.
 * @throws Error when a scene has no reference.
 */
export async function runNodeConformance(
  references: ReadonlyMap<string, RgbaImage>,
  glb: Uint8Array,
  artifacts: string,
  print: (line: string) => void = console.log,
): Promise<ConformanceReport> {
  const nc = await openNodeConformance();
  const scores: SceneScore[] = [];
  const lines = [
    `conformance: native/gpu on ${nc.adapter} vs Chromium WebGPU (SwiftShader), 256x256`,
  ];
  print(lines[0]!);
  try {
    for (const scene of nc.scenes) {
      const reference = references.get(scene.name);
      if (!reference) throw new Error(`no reference image for ${scene.name}`);
      const ours = await nc.render(scene, glb);
      const s = score(scene.name, ours, reference);
      scores.push(s);
      const line = formatScore(s);
      lines.push(line);
      print(line);
      if (!s.pass) {
        mkdirSync(artifacts, { recursive: true });
        writeFileSync(join(artifacts, `${scene.name}.zerocast.png`), encodePng(ours));
        writeFileSync(join(artifacts, `${scene.name}.chromium.png`), encodePng(reference));
        writeFileSync(
          join(artifacts, `${scene.name}.diff.png`),
          encodePng(diffImage(ours, reference)),
        );
      }
    }
  } finally {
    nc.close();
  }
  const passed = scores.filter((s) => s.pass).length;
  const total = `${passed}/${scores.length} scenes pass (PSNR >= 30 dB or SSIM >= 0.97); ${nc.errors.length} validation errors`;
  lines.push(total);
  print(total);
  return { adapter: nc.adapter, scores, errors: [...nc.errors], text: lines.join('\n') };
}
