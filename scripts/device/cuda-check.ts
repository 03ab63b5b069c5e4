/**
 * Device check for the GPU machine: the CUDA + NVENC side of the zero-copy path (issue 4).
 *
 * The end-to-end check with native/gpu's real export (ring of exported NV12 targets, 1,000 frames
 * compared with the CPU reference, chain, engine run) is scripts/device/zero-copy-check.ts; this
 * one checks the CUDA + NVENC side on its own:
 *   1. loads the native/encode addon, loads libcuda.so.1, runs cuInit and lists the devices;
 *   2. tries to open an NVENC session on device 0 and prints the NVENCSTATUS by name (the H200
 *      has no video encoder: with driver 580 nvEncOpenEncodeSessionEx returns 2, which
 *      nvEncodeAPI.h names NV_ENC_ERR_UNSUPPORTED_DEVICE; 1 would be NV_ENC_ERR_NO_ENCODE_DEVICE);
 *   3. opens NvencEncoder directly, to show the error the encoder chain records;
 *   4. feeds the real driver fds that are not Vulkan exports (a plain file), to show its import
 *      error and that both fds are closed exactly once;
 *   5. runs selectEncoder with "no exported target" and with the bogus target, printing the chains.
 *
 * For whoever integrates native/gpu's export: {@link readExportedNv12} (wait for frame N on the
 * timeline semaphore, read the pitched NV12 back) and {@link compareNv12} are the CUDA side of the
 * 1,000-frame check; {@link reportNvenc} is the NVENC line. Pass the real export as `gpu` to
 * selectEncoder to print the chain with the target.
 *
 * Build (here): npx esbuild scripts/device/cuda-check.ts --bundle --platform=node --format=esm
 *   --outfile=.cache/device/cuda-check.mjs
 * Run (GPU machine): source .device/enter.sh && ZEROCAST_ENCODE_ADDON=$PWD/native/encode/build/Release/zerocast_encode.node node .cache/device/cuda-check.mjs
 */
import { openSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CudaNv12Target,
  cudaProbe,
  describeChain,
  NvencEncoder,
  nvencProbe,
  nvencStatusOf,
  selectEncoder,
  type ExportedNv12Target,
  type NvencProbe,
} from '../../main/encode/index.ts';

/**
 * Imports an exported NV12 target into CUDA, waits until its timeline semaphore reached
 * `frameNumber` (>= 1; cuWaitExternalSemaphoresAsync), copies the pitched NV12 back
 * (pitch * height * 1.5 bytes: Y rows then CbCr rows) and frees the import again.
 * Owns the fds (closed exactly once, by CUDA or on failure by the import).
 * For many frames keep one {@link CudaNv12Target} open and call `copyToHost(n)` per frame instead.
 * @throws Error with the CUDA reason (driver missing, import error, timeout after `timeoutMs`).
 */
export function readExportedNv12(
  desc: ExportedNv12Target,
  frameNumber: number,
  timeoutMs = 2000,
): Uint8Array {
  const target = CudaNv12Target.open(desc);
  try {
    return target.copyToHost(frameNumber, timeoutMs);
  } finally {
    target.close();
  }
}

/**
 * Counts differing bytes between two pitched NV12 pictures, looking only at the `width` visible
 * bytes of each row (row padding up to `pitch` is ignored). Returns the count and the first
 * mismatch (plane, x, y) for the report.
 */
export function compareNv12(
  actual: Uint8Array,
  expected: Uint8Array,
  width: number,
  height: number,
  pitch: number,
): { mismatches: number; first?: { plane: 'Y' | 'CbCr'; x: number; y: number } } {
  let mismatches = 0;
  let first: { plane: 'Y' | 'CbCr'; x: number; y: number } | undefined;
  for (let row = 0; row < height * 1.5; row++) {
    const o = row * pitch;
    for (let x = 0; x < width; x++) {
      if (actual[o + x] !== expected[o + x]) {
        mismatches++;
        first ??= row < height ? { plane: 'Y', x, y: row } : { plane: 'CbCr', x, y: row - height };
      }
    }
  }
  return { mismatches, first };
}

/** Whether NVENC opens on the CUDA device (UUID; default device 0), with the status name. */
export function reportNvenc(deviceUuid?: string): NvencProbe & { line: string } {
  const p = nvencProbe(deviceUuid);
  const line = p.opened
    ? `NVENC: opened on ${p.device} (H.264 ${p.h264 ? 'yes' : 'no'}, driver API ${p.driverApiVersion})`
    : `NVENC: not available: ${p.statusName ?? 'no status'} — ${p.message ?? '?'}`;
  return { ...p, line };
}

const fdCount = (): number => readdirSync('/proc/self/fd').length;

async function main(): Promise<number> {
  const W = 1920;
  const H = 1080;
  const PITCH = 2048;
  const cfg = { width: W, height: H, fps: 30, bitrate: 8_000_000, keyframeInterval: 0 };

  const cuda = cudaProbe();
  console.log('CUDA: ' + JSON.stringify(cuda));
  if (!cuda.ok) console.log(`CUDA unavailable: ${cuda.error}`);
  for (const d of cuda.devices)
    console.log(`CUDA device ${d.ordinal}: ${d.name} (sm_${d.computeCapability}, uuid ${d.uuid})`);

  const nv = reportNvenc();
  console.log(nv.line);
  console.log('NVENC probe: ' + JSON.stringify(nv));

  try {
    const enc = new NvencEncoder(cfg);
    console.log('NvencEncoder opened (this GPU has NVENC)');
    await enc.close();
  } catch (e) {
    const st = nvencStatusOf(e);
    console.log(
      `NvencEncoder: ${(e as Error).message}` +
        (st ? ` [nvencStatus=${st.status} ${st.name}]` : ''),
    );
  }

  // Fds that are not Vulkan exports: the real driver's import error, and fd ownership.
  const bogus = (): ExportedNv12Target => {
    const file = join(tmpdir(), `zerocast-bogus-${process.pid}-${Math.random()}`);
    writeFileSync(file, Buffer.alloc(PITCH * H * 1.5));
    return {
      memoryFd: openSync(file, 'r'),
      semaphoreFd: openSync(file, 'r'),
      size: PITCH * H * 1.5,
      pitch: PITCH,
      width: W,
      height: H,
    };
  };
  const before = fdCount();
  try {
    readExportedNv12(bogus(), 1, 100);
    console.log('bogus import: unexpectedly succeeded');
  } catch (e) {
    console.log(`bogus import (plain file as OPAQUE_FD): ${(e as Error).message}`);
  }
  console.log(`fds after the failed import: ${fdCount() - before} leaked (expect 0)`);

  for (const gpu of [
    { unavailable: 'native/gpu export not wired into this check yet' },
    bogus(),
  ] as const) {
    try {
      const sel = selectEncoder(cfg, { gpu });
      console.log(`chain (${sel.input}): ${describeChain(sel.chain)}`);
      console.log('chain JSON: ' + JSON.stringify(sel.chain));
      await sel.encoder.close();
    } catch (e) {
      console.log(`selectEncoder failed: ${(e as Error).message}`);
    }
  }
  console.log(`fds after selectEncoder: ${fdCount() - before} leaked (expect 0)`);
  return cuda.ok ? 0 : 1;
}

if (process.argv[1] && /cuda-check\.(ts|mjs|js)$/.test(process.argv[1])) {
  main().then(
    (rc) => process.exit(rc),
    (e: unknown) => {
      console.error(e);
      process.exit(2);
    },
  );
}
