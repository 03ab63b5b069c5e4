/**
 * Installs the WebGPU globals three.js needs in Node (before `import('three/webgpu')`):
 * `navigator.gpu`, `self`, the GPU* classes and flag objects, and requestAnimationFrame.
 */
import { GPU, GPUAdapterInfo, webgpuClasses } from './gpu.ts';
import { loadNative } from './native.ts';

/** The adapter Zerocast renders on (logged at install, reported by the API). */
export interface AdapterReport {
  /** Device name, e.g. `llvmpipe (LLVM 15.0.6, 256 bits)` or `NVIDIA H200`. */
  name: string;
  /** wgpu backend: `vulkan` (Linux) or `metal` (macOS). */
  backend: string;
  /** `discrete-gpu` | `integrated-gpu` | `virtual-gpu` | `cpu` | `other`. */
  type: string;
  /** True for a CPU (software) adapter such as Mesa lavapipe. */
  software: boolean;
  /** Driver name and version. */
  driver: string;
}

/** @deprecated alias of {@link AdapterReport}. */
export type ZerocastAdapterInfo = AdapterReport;

/**
 * What {@link installWebGPU} resolves with: `navigator.gpu` itself (typed as the WebGPU `GPU`),
 * plus `gpu` (the same object, for destructuring) and `adapter` (the adapter report).
 */
export type ZerocastWebGPU = globalThis.GPU & {
  readonly gpu: globalThis.GPU;
  readonly adapter: AdapterReport;
};

let installed: Promise<ZerocastWebGPU> | undefined;
let adapterInfo: AdapterReport | undefined;

/** Options of {@link installWebGPU}. */
export interface InstallOptions {
  /** Where the chosen adapter is logged (default: console.info). */
  log?: (message: string) => void;
}

function defineGlobal(name: string, value: unknown): void {
  Object.defineProperty(globalThis, name, {
    value,
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

function installNavigator(gpu: GPU): void {
  const g = globalThis as unknown as { navigator?: Record<string, unknown> };
  let nav: Record<string, unknown> | undefined;
  try {
    nav = g.navigator;
  } catch {
    nav = undefined;
  }
  if (nav && typeof nav === 'object') {
    try {
      Object.defineProperty(nav, 'gpu', {
        value: gpu,
        configurable: true,
        enumerable: true,
        writable: true,
      });
      if ((nav as { gpu?: unknown }).gpu === gpu) return;
    } catch {
      // Fall through: replace navigator wholesale.
    }
  }
  const userAgent =
    (nav?.userAgent as string | undefined) ?? `Node.js/${process.versions.node} Zerocast`;
  defineGlobal('navigator', { gpu, userAgent, language: 'en-US', hardwareConcurrency: 1 });
}

function installAnimationFrame(): void {
  const g = globalThis as Record<string, unknown>;
  if (typeof g.requestAnimationFrame === 'function') return;
  const timers = new Map<number, ReturnType<typeof setTimeout>>();
  let next = 1;
  defineGlobal('requestAnimationFrame', (cb: (t: number) => void): number => {
    const id = next++;
    timers.set(
      id,
      setTimeout(() => {
        timers.delete(id);
        cb(performance.now());
      }, 16),
    );
    return id;
  });
  defineGlobal('cancelAnimationFrame', (id: number): void => {
    const t = timers.get(id);
    if (t) clearTimeout(t);
    timers.delete(id);
  });
}

/**
 * Installs `navigator.gpu` (Zerocast's WebGPU on wgpu), `self`, the `GPU*` classes and flag
 * objects and `requestAnimationFrame`/`cancelAnimationFrame` on globalThis. Idempotent.
 * Probes the adapter once and logs its name, backend and type.
 * @throws Error naming what to install (e.g. Debian `mesa-vulkan-drivers`) when no adapter exists,
 *   or naming the build command when the native addon is missing.
 */
export function installWebGPU(options: InstallOptions = {}): Promise<ZerocastWebGPU> {
  installed ??= (async () => {
    const native = loadNative();
    const adapterId = native.requestAdapter(); // throws the install hint when there is none
    const info = new GPUAdapterInfo(native.adapterInfo(adapterId));
    native.release(adapterId);
    const report: AdapterReport = {
      name: info.description,
      backend: info.backend,
      type: info.deviceType,
      software: info.isSoftware,
      driver: info.driver,
    };
    adapterInfo = report;
    const gpu = new GPU();
    Object.defineProperty(gpu, 'gpu', { value: gpu, enumerable: false });
    Object.defineProperty(gpu, 'adapter', { value: report, enumerable: false });
    const g = globalThis as Record<string, unknown>;
    if (g.self === undefined) defineGlobal('self', globalThis);
    for (const [name, value] of Object.entries(webgpuClasses)) defineGlobal(name, value);
    installNavigator(gpu);
    installAnimationFrame();
    (options.log ?? console.info)(
      `[zerocast/webgpu] adapter: ${report.name} (${report.backend}, ${report.type}` +
        `${report.software ? ', software' : ''})`,
    );
    return gpu as unknown as ZerocastWebGPU;
  })();
  installed.catch(() => {
    installed = undefined;
  });
  return installed;
}

/** The adapter chosen by {@link installWebGPU}; undefined before it resolved. */
export function getAdapterInfo(): AdapterReport | undefined {
  return adapterInfo;
}
