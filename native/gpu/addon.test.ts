/**
 * The native addon's flat API on the real adapter: build script idempotency, handle lifecycle,
 * error reporting for bad handles and descriptors.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { loadNative, addonPath } from '../../main/webgpu/native.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

describe('native/gpu addon', () => {
  it('build.sh is idempotent: a second run leaves the installed addon untouched', () => {
    execFileSync('bash', [path.join(here, 'build.sh')], { stdio: 'pipe' });
    const before = statSync(addonPath()).mtimeMs;
    const out = execFileSync('bash', [path.join(here, 'build.sh')], { encoding: 'utf8' });
    expect(out).not.toContain('installed');
    expect(statSync(addonPath()).mtimeMs).toBe(before);
  }, 600_000);

  it('hands out handles and frees them', () => {
    const n = loadNative();
    const adapter = n.requestAdapter();
    const info = n.adapterInfo(adapter);
    expect(info.name.length).toBeGreaterThan(0);
    expect(n.adapterFeatures(adapter)).toContain('depth32float-stencil8');
    const limits = JSON.parse(n.adapterLimits(adapter)) as Record<string, number>;
    expect(limits.maxTextureDimension2D).toBeGreaterThanOrEqual(8192);
    const device = n.requestDevice(adapter, [], JSON.stringify({ maxBindGroups: 4 }));
    expect(JSON.parse(n.deviceLimits(device)).maxBindGroups).toBe(4);
    const live = n.liveHandles();
    const b = n.createBuffer(device, 64, 8, false);
    expect(n.liveHandles()).toBe(live + 1);
    n.release(b);
    expect(n.liveHandles()).toBe(live);
    expect(() => n.bufferDestroy(b)).toThrow(/invalid buffer handle/);
    expect(n.deviceLostInfo(device)).toBeNull();
    n.deviceDestroy(device);
    n.release(device);
    n.release(adapter);
  });

  it('rejects unknown features, unknown limits and malformed descriptors with a message', () => {
    const n = loadNative();
    const adapter = n.requestAdapter();
    expect(() => n.requestDevice(adapter, ['no-such-feature'])).toThrow(/unknown feature/);
    expect(() => n.requestDevice(adapter, [], JSON.stringify({ maxBogus: 1 }))).toThrow(
      /unknown limit/,
    );
    const device = n.requestDevice(adapter, []);
    expect(() =>
      n.createTexture(device, '{"size":[1,1,1],"format":"rgba9unorm","usage":4}'),
    ).toThrow(/invalid texture descriptor/);
    n.deviceDestroy(device);
  });
});
