/**
 * main/encode: H.264 encoders for Zerocast (see {@link H264Encoder} in main/engine/contracts.ts).
 *
 * {@link selectEncoder} picks the encoder once, at start, and records why each faster path was
 * skipped. Given the GPU option (native/gpu's exported NV12 target, or why there is none) the
 * chain is:
 *
 *   1. `nvenc`         NVENC reading the exported target's CUDA pointer (zero-copy);
 *   2. `openh264-cuda` OpenH264 fed from the CUDA mapping (cuMemcpyDtoH of the NV12);
 *   3. `openh264`      OpenH264 fed with mapAsync'ed NV12 through `encode(frame)`.
 *
 * Without the GPU option the chain is OpenH264 only (as before). Later: VideoToolbox on macOS.
 */
import { closeSync } from 'node:fs';
import type { EncoderConfig, H264Encoder } from '../engine/contracts.ts';
import {
  CudaNv12Target,
  isExportUnavailable,
  type ExportedNv12Target,
  type ExportUnavailable,
} from './cuda.ts';
import type { EncoderInput } from './exported.ts';
import { NvencEncoder } from './nvenc.ts';
import { OpenH264Encoder, validateEncoderConfig } from './openh264.ts';

export {
  OpenH264Encoder,
  validateEncoderConfig,
  type NativeEncoderOptions,
  type TimedAccessUnit,
} from './openh264.ts';
export { NvencEncoder, nvencStatusOf } from './nvenc.ts';
export {
  CudaNv12Target,
  cudaProbe,
  isExportUnavailable,
  nvencProbe,
  nvencStatusName,
  type CudaProbe,
  type ExportedNv12Target,
  type ExportUnavailable,
  type NvencProbe,
} from './cuda.ts';
export { canEncodeExported, type EncoderInput, type ExportedFrameEncoder } from './exported.ts';

/** One step of the encoder chain: which backend was tried and, if it failed, why. */
export interface EncoderAttempt {
  /** Backend name: `nvenc`, `openh264-cuda` or `openh264` (later `videotoolbox`). */
  name: string;
  /** True for the backend that was chosen. */
  ok: boolean;
  /** Why the backend was not used (the error message), absent when ok. */
  reason?: string;
  /** How frames would reach this backend's codec (absent in the legacy OpenH264-only chain). */
  input?: EncoderInput;
}

/** The encoder chosen by {@link selectEncoder} and the chain walked to find it. */
export interface EncoderSelection {
  encoder: H264Encoder;
  /** Every backend tried, in order; the last one has `ok: true`. */
  chain: EncoderAttempt[];
  /**
   * How frames reach the chosen encoder: `cuda-zero-copy` / `cuda-copy` (call `encodeExported`,
   * see {@link canEncodeExported}) or `map-async` (call `encode(frame)`).
   */
  input: EncoderInput;
}

/** Options of {@link selectEncoder}. */
export interface SelectEncoderOptions {
  /**
   * native/gpu's exported NV12 target `{ memoryFd, semaphoreFd, size, pitch, width, height }`,
   * or a ring of them (slot = index; each imported once, see main/convert/nv12.ts), or
   * `{ unavailable: reason }` when it could not export one (e.g. `adapter lacks
   * VK_KHR_external_semaphore_fd`). Omitted: the OpenH264-only chain. **The fds pass to
   * selectEncoder**: they end up owned by CUDA (released when the encoder is closed) or closed
   * here when an import fails; never close them yourself.
   */
  gpu?: ExportedNv12Target | readonly ExportedNv12Target[] | ExportUnavailable;
  /** Longest wait for a frame's timeline semaphore value, ms (default 2000). */
  targetTimeoutMs?: number;
}

/** Thrown when no backend could be opened; `chain` holds each backend's reason. */
export class NoEncoderError extends Error {
  constructor(readonly chain: EncoderAttempt[]) {
    super(
      'no H.264 encoder available: ' + chain.map((a) => `${a.name}: ${a.reason ?? '?'}`).join('; '),
    );
    this.name = 'NoEncoderError';
  }
}

/** The chain as one log line, e.g. `nvenc ✗ (…) → openh264-cuda ✓`. */
export function describeChain(chain: readonly EncoderAttempt[]): string {
  return chain.map((a) => (a.ok ? `${a.name} ✓` : `${a.name} ✗ (${a.reason ?? '?'})`)).join(' → ');
}

/**
 * Opens the best available encoder for `config`, once, at start; see the module comment for the
 * chain. The caller logs {@link describeChain} and exposes `chain` in its stats. With a GPU
 * target, the encoder owns the CUDA import: `encoder.close()` frees the codec, then the imports
 * (before native/gpu may free its Vulkan objects).
 * @throws RangeError for an invalid config (before any backend is tried; the GPU fds are closed
 *   then too); {@link NoEncoderError} when every backend failed (e.g. OpenH264 missing: install
 *   `libopenh264-7`).
 */
export function selectEncoder(
  config: EncoderConfig,
  options: SelectEncoderOptions = {},
): EncoderSelection {
  const { gpu } = options;
  const ring: readonly ExportedNv12Target[] | undefined =
    gpu === undefined || Array.isArray(gpu)
      ? (gpu as readonly ExportedNv12Target[] | undefined)
      : isExportUnavailable(gpu as ExportedNv12Target | ExportUnavailable)
        ? undefined
        : [gpu as ExportedNv12Target];
  try {
    validateEncoderConfig(config);
    if (ring && (ring.length < 1 || ring.length > 16)) {
      throw new RangeError(`gpu: a ring of 1..16 exported targets expected, got ${ring.length}`);
    }
  } catch (err) {
    for (const t of ring ?? []) closeExportedFds(t);
    throw err;
  }
  const chain: EncoderAttempt[] = [];
  if (gpu === undefined) {
    try {
      const encoder = new OpenH264Encoder(config);
      chain.push({ name: 'openh264', ok: true });
      return { encoder, chain, input: 'map-async' };
    } catch (err) {
      chain.push({ name: 'openh264', ok: false, reason: (err as Error).message });
      throw new NoEncoderError(chain);
    }
  }

  let targets: CudaNv12Target[] | undefined;
  let noTarget: string | undefined;
  if (!ring) {
    noTarget = `no exported GPU target: ${(gpu as ExportUnavailable).unavailable}`;
  } else {
    const opened: CudaNv12Target[] = [];
    for (let i = 0; i < ring.length; i++) {
      try {
        opened.push(CudaNv12Target.open(ring[i]!)); // owns the fds from here, also when it throws
      } catch (err) {
        for (const t of opened) t.close();
        for (const rest of ring.slice(i + 1)) closeExportedFds(rest);
        noTarget =
          `CUDA import of the exported target${ring.length > 1 ? ` (slot ${i})` : ''} failed: ` +
          (err as Error).message;
        break;
      }
    }
    if (!noTarget) targets = opened;
  }
  const target = targets && targets.length === 1 ? targets[0] : undefined;
  const bound = targets ? (target ? { target } : { targets }) : {};
  const timeout =
    options.targetTimeoutMs !== undefined ? { targetTimeoutMs: options.targetTimeoutMs } : {};
  if (targets) {
    try {
      const encoder = new NvencEncoder(config, { ...bound, ownsTarget: true, ...timeout });
      chain.push({ name: 'nvenc', ok: true, input: 'cuda-zero-copy' });
      return { encoder, chain, input: 'cuda-zero-copy' };
    } catch (err) {
      chain.push({
        name: 'nvenc',
        ok: false,
        input: 'cuda-zero-copy',
        reason: (err as Error).message,
      });
    }
    try {
      const encoder = new OpenH264Encoder(config, { ...bound, ownsTarget: true, ...timeout });
      chain.push({ name: 'openh264-cuda', ok: true, input: 'cuda-copy' });
      return { encoder, chain, input: 'cuda-copy' };
    } catch (err) {
      chain.push({
        name: 'openh264-cuda',
        ok: false,
        input: 'cuda-copy',
        reason: (err as Error).message,
      });
    }
    for (const t of targets) t.close(); // nothing uses them: free the imports now
  } else {
    chain.push({ name: 'nvenc', ok: false, input: 'cuda-zero-copy', reason: noTarget });
    chain.push({ name: 'openh264-cuda', ok: false, input: 'cuda-copy', reason: noTarget });
  }
  try {
    const encoder = new OpenH264Encoder(config);
    chain.push({ name: 'openh264', ok: true, input: 'map-async' });
    return { encoder, chain, input: 'map-async' };
  } catch (err) {
    chain.push({ name: 'openh264', ok: false, input: 'map-async', reason: (err as Error).message });
    throw new NoEncoderError(chain);
  }
}

/** Honours fd ownership when selectEncoder fails before importing: closes both fds once. */
function closeExportedFds(gpu: ExportedNv12Target): void {
  for (const fd of new Set([gpu.memoryFd, gpu.semaphoreFd])) {
    try {
      if (Number.isInteger(fd) && fd >= 0) closeSync(fd);
    } catch {
      // not open: nothing to close
    }
  }
}

/**
 * Opens the best available encoder. Use {@link selectEncoder} to also get the fallback chain.
 * @throws as {@link selectEncoder}.
 */
export function createEncoder(
  config: EncoderConfig,
  options: SelectEncoderOptions = {},
): H264Encoder {
  return selectEncoder(config, options).encoder;
}
