// The CUDA side's success paths, run against a stand-in driver (fake-nvidia/fake_cuda.c and
// fake_nvenc.c, built here with cc) because this machine has no NVIDIA GPU. The stand-in is not a
// GPU: it emulates the driver API contract the addon relies on (fd ownership on import, timeline
// semaphore waits ordering later stream work) and logs the calls. Everything else is real: the
// addon, ffnvcodec's loader, OpenH264, the fds. NVENC encoding itself cannot run here (the stand-in
// NVENC behaves like the H200 measured on the GPU machine: nvEncOpenEncodeSessionEx returns 2,
// NV_ENC_ERR_UNSUPPORTED_DEVICE); scripts/device/cuda-check.ts covers the real hardware.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScenarioOut } from './fake-nvidia/scenario.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
let dir = '';

beforeAll(() => {
  execFileSync('bash', [join(root, 'native/encode/build.sh')], { stdio: 'pipe' });
  dir = mkdtempSync(join(tmpdir(), 'zerocast-fakecuda-'));
  for (const [src, lib] of [
    ['fake_cuda.c', 'libfakecuda.so'],
    ['fake_nvenc.c', 'libfakenvenc.so'],
  ] as const) {
    execFileSync('cc', [
      '-shared',
      '-fPIC',
      '-O1',
      '-Wall',
      '-Wextra',
      '-Werror',
      '-o',
      join(dir, lib),
      join(here, 'fake-nvidia', src),
    ]);
  }
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs fake-nvidia/scenario.ts in a child process against the stand-in driver. */
function runScenario(mode: string, env: Record<string, string> = {}): ScenarioOut {
  const work = mkdtempSync(join(dir, `${mode}-`));
  const r = spawnSync(
    join(root, 'node_modules/.bin/tsx'),
    [join(here, 'fake-nvidia/scenario.ts'), work, mode],
    {
      encoding: 'utf8',
      env: {
        ...process.env,
        ZEROCAST_CUDA_LIBRARY: join(dir, 'libfakecuda.so'),
        ZEROCAST_NVENC_LIBRARY: join(dir, 'libfakenvenc.so'),
        FAKE_CUDA_LOG: join(work, 'calls.log'),
        ...env,
      },
      timeout: 120_000,
    },
  );
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as ScenarioOut;
}

describe('CUDA import + encoder chain against a stand-in driver', () => {
  let out = {} as ScenarioOut;

  it('falls back NVENC → OpenH264 fed from the CUDA mapping, naming the NVENC status', () => {
    out = runScenario('full');
    expect(out.cuda).toMatchObject({ loaded: true, ok: true, initResult: 0 });
    expect(out.cuda.devices[0]).toMatchObject({
      name: 'Fake CUDA device (zerocast test stub)',
      uuid: 'a0a1a2a3a4a5a6a7a8a9aaabacadaeaf',
    });
    expect(out.nvenc).toMatchObject({
      cudaOk: true,
      opened: false,
      status: 2,
      statusName: 'NV_ENC_ERR_UNSUPPORTED_DEVICE',
      driverApiVersion: '12.0',
    });
    expect(out.chain).toEqual([
      {
        name: 'nvenc',
        ok: false,
        input: 'cuda-zero-copy',
        reason:
          'nvEncOpenEncodeSessionEx failed on Fake CUDA device (zerocast test stub): ' +
          'NV_ENC_ERR_UNSUPPORTED_DEVICE (2) (this GPU has no NVENC video encoder, e.g. A100/H100/H200)',
      },
      { name: 'openh264-cuda', ok: true, input: 'cuda-copy' },
    ]);
    expect(out.input).toBe('cuda-copy');
    expect(out.canEncodeExported).toBe(true);
    console.log('chain: ' + out.describe);
  });

  it('waits for each frame on the timeline semaphore before copying (no torn frame)', () => {
    const frames = out.frames;
    expect(frames).toHaveLength(12);
    frames.forEach((f, i) => {
      const n = i + 1;
      expect(f.frameId).toBe(n);
      expect(f.ptsMs).toBe(Math.round((n * 1000) / 30));
      expect(f.keyframe, `frame ${n}`).toBe(n === 1 || n === 6);
      // The frame was written ~10 ms after encodeExported was queued; the bitstream equals the
      // host path's for the same picture, so the worker read frame n, not the previous bytes.
      expect(f.sameAsHostPath, `frame ${n}`).toBe(true);
      expect(f.waitedMs).toBeGreaterThan(5);
    });
    const log = String(out.log);
    expect(log).not.toContain('TORN');
    const waits = [...log.matchAll(/cuWaitExternalSemaphoresAsync value=(\d+)/g)].map((m) =>
      Number(m[1]),
    );
    expect(waits.slice(0, 12)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    // Every copy of the chain's target follows its wait.
    const lines = log.split('\n');
    const firstCopy = lines.findIndex((l) => l.startsWith('cuMemcpyDtoHAsync'));
    expect(lines[firstCopy - 1]).toBe('cuWaitExternalSemaphoresAsync value=1');
    expect(lines[firstCopy]).toBe(`cuMemcpyDtoHAsync bytes=${512 * 180 * 1.5}`);
    expect(out.frameZero).toMatch(
      /RangeError: encodeExported\(\): frameNumber must be an integer >= 1/,
    );
  });

  it('imports once (OPAQUE_FD, dedicated, timeline) and tears down in order', () => {
    const lines = String(out.log).split('\n');
    expect(lines[0]).toMatch(/^cuImportExternalMemory fd=\d+ size=142336 dedicated=1$/);
    expect(lines[1]).toBe('cuExternalMemoryGetMappedBuffer offset=0 size=142336');
    expect(lines[2]).toMatch(/^cuImportExternalSemaphore fd=\d+ timeline=1$/);
    const firstTeardown = lines.findIndex((l) => l === 'cuMemFree');
    expect(lines.slice(firstTeardown, firstTeardown + 4).map((l) => l.split(' ')[0])).toEqual([
      'cuMemFree',
      'cuDestroyExternalMemory',
      'cuDestroyExternalSemaphore',
      'cuStreamDestroy',
    ]);
    expect(out.fdsHeldByDriver).toBe(true);
    expect(out.fdsAfterClose).toBe(2); // only the scenario's own two writer fds
    expect(out.liveAfterClose).toBe(0);
  });

  it('copyToHost reads the pitched NV12 back; an unsignalled frame times out', () => {
    expect(out.copyMatches).toBe(true);
    expect(out.timeout).toBe(
      'Error: CudaExternalNv12: frame 9 was not signalled on the timeline semaphore within 100 ms',
    );
    expect(out.timeoutMs).toBeGreaterThanOrEqual(100);
    expect(out.timeoutMs).toBeLessThan(1000);
    expect(out.copyZero).toMatch(/RangeError: copyToHost\(\): frameNumber must be an integer >= 1/);
    expect(out.afterClose).toMatch(/target is closed/);
  });

  it('closes each fd exactly once when an import fails', () => {
    expect(out.semImportError).toBe(
      'Error: cuImportExternalSemaphore(TIMELINE_SEMAPHORE_FD) failed: ' +
        'CUDA_ERROR_INVALID_VALUE (1): invalid argument',
    );
    expect(out.memImportError).toBe(
      'Error: cuImportExternalMemory(OPAQUE_FD, dedicated) failed: ' +
        'CUDA_ERROR_INVALID_VALUE (1): invalid argument',
    );
    expect(out.fdsAfterFailedImports).toBe(4); // the four writer fds of the scenario, nothing else
  });

  it('imports and frees a target 1,000 times without leaking fds or imports', () => {
    expect(out.churnFdDelta).toBe(0);
    expect(out.churnLive).toBe(0);
  });

  it('names the cuInit error when the driver has no device', () => {
    const r = runScenario('probe', { FAKE_CUDA_INIT: '100' });
    const why = 'cuInit failed: CUDA_ERROR_NO_DEVICE (100): no CUDA-capable device is detected';
    expect(r.cuda).toMatchObject({ loaded: true, ok: false, initResult: 100, error: why });
    expect(r.chain[0]!.reason).toBe(`CUDA import of the exported target failed: ${why}`);
    expect(r.chain.map((a) => [a.name, a.ok])).toEqual([
      ['nvenc', false],
      ['openh264-cuda', false],
      ['openh264', true],
    ]);
  });

  it('names NV_ENC_ERR_NO_ENCODE_DEVICE (1) as well', () => {
    const r = runScenario('probe', { FAKE_NVENC_OPEN_STATUS: '1' });
    expect(r.nvenc).toMatchObject({ status: 1, statusName: 'NV_ENC_ERR_NO_ENCODE_DEVICE' });
    expect(r.chain[0]!.reason).toMatch(
      /: NV_ENC_ERR_NO_ENCODE_DEVICE \(1\) \(this GPU has no NVENC/,
    );
    expect(r.chain[1]).toEqual({ name: 'openh264-cuda', ok: true, input: 'cuda-copy' });
  });
});
