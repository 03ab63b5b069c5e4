// The CUDA/NVENC side on a machine without NVIDIA (this one): the real addon, the real loader
// (libcuda.so.1 is absent here), real file descriptors. The success paths run against a stand-in
// driver in cuda-fake.test.ts.
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  fstatSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  canEncodeExported,
  CudaNv12Target,
  cudaProbe,
  describeChain,
  NvencEncoder,
  nvencProbe,
  nvencStatusName,
  OpenH264Encoder,
  selectEncoder,
} from './index.ts';
import { loadNativeAddon } from './native.ts';
import { makeTestFrame } from './testframes.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let dir = '';
let haveCuda = false;

beforeAll(() => {
  execFileSync('bash', [join(root, 'native/encode/build.sh')], { stdio: 'pipe' });
  dir = mkdtempSync(join(tmpdir(), 'zerocast-cuda-'));
  haveCuda = cudaProbe().loaded;
  if (haveCuda) console.log('libcuda.so.1 is present here: the "no CUDA" assertions are skipped');
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const W = 320;
const H = 180;
const PITCH = 512;
const cfg = { width: W, height: H, fps: 30, bitrate: 800_000, keyframeInterval: 0 };

/** Open fds of this process. */
function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

function isOpen(fd: number): boolean {
  try {
    fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}

/** Two fresh fds standing in for the Vulkan exports (regular files; nothing here imports them). */
function fakeExport(size = PITCH * H * 1.5): { memoryFd: number; semaphoreFd: number } {
  const mem = join(dir, `mem-${Math.random()}`);
  const sem = join(dir, `sem-${Math.random()}`);
  writeFileSync(mem, Buffer.alloc(size));
  writeFileSync(sem, Buffer.alloc(8));
  return { memoryFd: openSync(mem, 'r'), semaphoreFd: openSync(sem, 'r') };
}

describe('NVENC status names (nvEncodeAPI.h NVENCSTATUS)', () => {
  it('names every status of the 11.1 header, and unknown ones', () => {
    expect(nvencStatusName(0)).toBe('NV_ENC_SUCCESS');
    expect(nvencStatusName(1)).toBe('NV_ENC_ERR_NO_ENCODE_DEVICE');
    expect(nvencStatusName(2)).toBe('NV_ENC_ERR_UNSUPPORTED_DEVICE');
    expect(nvencStatusName(8)).toBe('NV_ENC_ERR_INVALID_PARAM');
    expect(nvencStatusName(10)).toBe('NV_ENC_ERR_OUT_OF_MEMORY');
    expect(nvencStatusName(15)).toBe('NV_ENC_ERR_INVALID_VERSION');
    expect(nvencStatusName(20)).toBe('NV_ENC_ERR_GENERIC');
    expect(nvencStatusName(25)).toBe('NV_ENC_ERR_RESOURCE_NOT_MAPPED');
    const names = Array.from({ length: 26 }, (_, i) => nvencStatusName(i));
    expect(new Set(names).size).toBe(26);
    for (const n of names) expect(n).toMatch(/^NV_ENC_(SUCCESS|ERR_[A-Z_]+)$/);
    expect(nvencStatusName(26)).toBe('NV_ENC_ERR_UNKNOWN_STATUS(26)');
    expect(nvencStatusName(-3)).toBe('NV_ENC_ERR_UNKNOWN_STATUS(-3)');
  });
});

describe('without an NVIDIA driver (this machine)', () => {
  it('loads the addon and reports why CUDA and NVENC are unavailable', () => {
    if (haveCuda) return;
    const addon = loadNativeAddon();
    expect(addon.encoderNames()).toEqual(['openh264', 'nvenc']);
    const cuda = cudaProbe();
    expect(cuda).toMatchObject({ loaded: false, ok: false, devices: [] });
    expect(cuda.error).toMatch(/^CUDA is not available: libcuda\.so\.1 not found \(/);
    const nv = nvencProbe();
    expect(nv).toMatchObject({ cudaOk: false, opened: false, headerApiVersion: '11.1' });
    expect(nv.message).toBe(cuda.error);
    expect(addon.unavailableReason('nvenc')).toBe(cuda.error);
    expect(() => new NvencEncoder(cfg)).toThrow(/libcuda\.so\.1 not found/);
  });

  it('CudaNv12Target.open closes both fds once when CUDA is missing', () => {
    if (haveCuda) return;
    const before = fdCount();
    const fds = fakeExport();
    expect(fdCount()).toBe(before + 2);
    expect(() =>
      CudaNv12Target.open({ ...fds, size: PITCH * H * 1.5, pitch: PITCH, width: W, height: H }),
    ).toThrow(/libcuda\.so\.1 not found/);
    expect(isOpen(fds.memoryFd)).toBe(false);
    expect(isOpen(fds.semaphoreFd)).toBe(false);
    expect(fdCount()).toBe(before);
    expect(loadNativeAddon().CudaExternalNv12.liveCount()).toBe(0);
  });

  it('validates the descriptor before CUDA, with clear errors, closing the fds once', () => {
    const cases: Array<{
      patch: (f: { memoryFd: number; semaphoreFd: number }) => Record<string, unknown>;
      error: RegExp;
    }> = [
      {
        patch: () => ({ pitch: 300 }),
        error: /pitch 300 must be >= width \(320 bytes\)/,
      },
      {
        patch: () => ({ size: 1000 }),
        error: /size 1000 bytes is smaller than offset \+ pitch \* height \* 1\.5 = 138240 bytes/,
      },
      {
        patch: () => ({ width: 321 }),
        error: /width and height must be even integers in 16\.\.8192 pixels, got 321x180/,
      },
      { patch: () => ({ size: '138240' }), error: /'size' must be a non-negative integer/ },
      { patch: () => ({ height: -2 }), error: /'height' must be a non-negative integer/ },
      {
        patch: (f) => ({ semaphoreFd: f.memoryFd }),
        error: /memoryFd and semaphoreFd are the same descriptor/,
      },
    ];
    for (const c of cases) {
      const before = fdCount();
      const fds = fakeExport();
      const desc = {
        ...fds,
        size: PITCH * H * 1.5,
        pitch: PITCH,
        width: W,
        height: H,
        ...c.patch(fds),
      };
      expect(() => CudaNv12Target.open(desc as never)).toThrow(c.error);
      expect(isOpen(fds.memoryFd), String(c.error)).toBe(false);
      if (desc.semaphoreFd === fds.semaphoreFd) {
        expect(isOpen(fds.semaphoreFd), String(c.error)).toBe(false);
      } else {
        closeSync(fds.semaphoreFd); // not passed in: still ours
      }
      expect(fdCount(), String(c.error)).toBe(before);
    }
  });

  it('reports an fd that is not open, and still closes the other one', () => {
    const before = fdCount();
    const fds = fakeExport();
    closeSync(fds.memoryFd); // a stale number, as after a double close
    expect(() =>
      CudaNv12Target.open({ ...fds, size: PITCH * H * 1.5, pitch: PITCH, width: W, height: H }),
    ).toThrow(`memoryFd ${fds.memoryFd} is not an open file descriptor`);
    expect(isOpen(fds.semaphoreFd)).toBe(false);
    expect(fdCount()).toBe(before);

    const other = fakeExport();
    expect(() =>
      CudaNv12Target.open({
        memoryFd: other.memoryFd,
        semaphoreFd: -1,
        size: PITCH * H * 1.5,
        pitch: PITCH,
        width: W,
        height: H,
      }),
    ).toThrow('semaphoreFd -1 is not an open file descriptor');
    expect(isOpen(other.memoryFd)).toBe(false);
    closeSync(other.semaphoreFd); // not passed in: still ours
    expect(fdCount()).toBe(before);
  });

  it('selectEncoder with an exported target falls back to OpenH264 (libcuda.so.1 not found)', async () => {
    if (haveCuda) return;
    const before = fdCount();
    const fds = fakeExport();
    const { encoder, chain, input } = selectEncoder(cfg, {
      gpu: { ...fds, size: PITCH * H * 1.5, pitch: PITCH, width: W, height: H },
    });
    expect(fdCount()).toBe(before); // the import failed: both fds closed
    const reason = chain[0]!.reason!;
    expect(reason).toMatch(
      /^CUDA import of the exported target failed: CUDA is not available: libcuda\.so\.1 not found/,
    );
    expect(chain).toEqual([
      { name: 'nvenc', ok: false, input: 'cuda-zero-copy', reason },
      { name: 'openh264-cuda', ok: false, input: 'cuda-copy', reason },
      { name: 'openh264', ok: true, input: 'map-async' },
    ]);
    expect(input).toBe('map-async');
    expect(encoder.name).toBe('openh264');
    expect(canEncodeExported(encoder)).toBe(false);
    console.log('chain here: ' + describeChain(chain));
    const au = await encoder.encode(makeTestFrame({ width: W, height: H, index: 0 }));
    expect(au?.keyframe).toBe(true);
    await encoder.close();
  });

  it('selectEncoder without an exported target says why', async () => {
    const { encoder, chain, input } = selectEncoder(cfg, {
      gpu: { unavailable: 'adapter lacks VK_KHR_external_semaphore_fd' },
    });
    const reason = 'no exported GPU target: adapter lacks VK_KHR_external_semaphore_fd';
    expect(chain).toEqual([
      { name: 'nvenc', ok: false, input: 'cuda-zero-copy', reason },
      { name: 'openh264-cuda', ok: false, input: 'cuda-copy', reason },
      { name: 'openh264', ok: true, input: 'map-async' },
    ]);
    expect(input).toBe('map-async');
    expect(describeChain(chain)).toBe(
      `nvenc ✗ (${reason}) → openh264-cuda ✗ (${reason}) → openh264 ✓`,
    );
    await encoder.close();
  });

  it('selectEncoder closes the fds when the config is invalid', () => {
    const before = fdCount();
    const fds = fakeExport();
    expect(() =>
      selectEncoder(
        { ...cfg, width: 321 },
        { gpu: { ...fds, size: PITCH * H * 1.5, pitch: PITCH, width: W, height: H } },
      ),
    ).toThrow(RangeError);
    expect(fdCount()).toBe(before);
  });

  it('keeps the legacy chain without the gpu option; encodeExported needs a target', async () => {
    const { encoder, chain, input } = selectEncoder(cfg);
    expect(chain).toEqual([{ name: 'openh264', ok: true }]);
    expect(input).toBe('map-async');
    await encoder.close();
    const enc = new OpenH264Encoder(cfg);
    expect(enc.input).toBe('map-async');
    expect(() => enc.encodeExported(1, 0)).toThrow(/has no exported GPU target/);
    await enc.close();
  });
});
