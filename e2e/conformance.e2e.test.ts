/**
 * Conformance: every scene of e2e/conformance/scenes renders in Node on native/gpu (wgpu; lavapipe
 * in CI) as Chromium's own WebGPU (SwiftShader) renders it: PSNR >= 30 dB or SSIM >= 0.97 per scene.
 * Scores are printed; failures leave `<scene>.{zerocast,chromium,diff}.png` in
 * e2e/artifacts/conformance/. The Chromium references are also saved to .cache/conformance/reference/
 * for the GPU-machine run (scripts/device/conformance.sh).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openChromiumReference } from './support/conformance-chromium.ts';
import { buildTestModel } from './support/conformance-glb.ts';
import { encodePng, type RgbaImage } from './support/conformance-metrics.ts';
import { runNodeConformance } from './support/conformance-run.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const ARTIFACTS = join(ROOT, 'e2e/artifacts/conformance');
const REFERENCES = join(ROOT, '.cache/conformance/reference');

describe('conformance: native/gpu vs Chromium WebGPU', () => {
  const glb = buildTestModel();
  const references = new Map<string, RgbaImage>();

  it('renders the reference images in Chromium (SwiftShader)', async () => {
    const chromium = await openChromiumReference(glb);
    try {
      expect(chromium.names.length).toBeGreaterThanOrEqual(12);
      mkdirSync(REFERENCES, { recursive: true });
      for (const name of chromium.names) {
        const image = await chromium.render(name);
        references.set(name, image);
        writeFileSync(join(REFERENCES, `${name}.png`), encodePng(image));
      }
    } finally {
      await chromium.close();
    }
  });

  it('renders every scene on native/gpu within the thresholds, without validation errors', async () => {
    expect(references.size).toBeGreaterThanOrEqual(12);
    rmSync(ARTIFACTS, { recursive: true, force: true });
    const report = await runNodeConformance(references, glb, ARTIFACTS);
    expect(report.errors).toEqual([]);
    const failed = report.scores.filter((s) => !s.pass).map((s) => s.name);
    expect(failed, `failing scenes (images in ${ARTIFACTS})`).toEqual([]);
    expect(report.scores.length).toBe(references.size);
  });
});
