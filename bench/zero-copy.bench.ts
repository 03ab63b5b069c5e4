/**
 * Zero-copy benchmark (issue 4): time per frame from the render's submit to "NV12 readable by the
 * encoder", three ways, interleaved frame by frame in one run on one device:
 *
 *   (a) rgba-map+cpu   RGBA frame copied to a buffer, mapAsync, CPU BT.709 conversion (rgbaToNv12)
 *   (b) nv12-gpu+map   NV12 compute pass + copy to a staging buffer, mapAsync (the fallback path)
 *   (c) nv12-export    NV12 compute pass into an exported ring slot whose submit signals the
 *                      slot's timeline semaphore; CUDA waits for that value
 *                      (cuWaitExternalSemaphoresAsync + stream completion: `waitFrame`)
 *
 * Medians and p99 over `--frames` frames (default 200) at 1920x1080 and 3840x2160, with the
 * ratios a/c and b/c. Where (c) cannot run (no semaphore export, no CUDA) its row says why.
 *
 * Run here:  npx tsx bench/zero-copy.bench.ts [--frames 200] [--sizes 1920x1080,3840x2160]
 * GPU machine: bash scripts/device/zero-copy.sh (bundles it into .cache/device/) and see there.
 */
import { rgbaToNv12 } from '../main/convert/bt709.ts';
import { Nv12Converter } from '../main/convert/nv12.ts';
import { openSceneRenderer } from '../main/convert/render-source.ts';
import { CudaNv12Target, type ExportUnavailable } from '../main/encode/index.ts';
import { installWebGPU, readTexture } from '../main/webgpu/index.ts';

/** Statistics of one path at one size (ms). */
export interface PathStats {
  path: string;
  median?: number;
  p99?: number;
  /** Why the path did not run. */
  unavailable?: string;
}

/** One size's results. */
export interface SizeResult {
  width: number;
  height: number;
  frames: number;
  a: PathStats;
  b: PathStats;
  c: PathStats;
}

function quantile(sorted: number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

function stats(path: string, samples: number[]): PathStats {
  const s = [...samples].sort((x, y) => x - y);
  return { path, median: quantile(s, 0.5), p99: quantile(s, 0.99) };
}

/** Opens the high-performance adapter's device with the export extension. */
export async function openExportableDevice(): Promise<{ device: GPUDevice; adapterName: string }> {
  const { gpu, adapter: report } = await installWebGPU({ log: () => {} });
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('no WebGPU adapter');
  const device = await adapter.requestDevice({
    requiredFeatures: [...adapter.features] as GPUFeatureName[],
    zerocastExportable: true,
  } as GPUDeviceDescriptor);
  return { device, adapterName: `${report.name} (${report.backend}, ${report.type})` };
}

/**
 * Benchmarks the three paths at `width` x `height` over `frames` frames (after 10 warm-up
 * frames), interleaving them per frame so clocks and caches affect all three alike.
 */
export async function benchSize(
  device: GPUDevice,
  width: number,
  height: number,
  frames: number,
  log: (line: string) => void = () => {},
): Promise<SizeResult> {
  const scene = await openSceneRenderer(device, width, height);
  const plain = new Nv12Converter(device, width, height);
  const exp = new Nv12Converter(device, width, height, { export: 'auto', ring: 3 });
  let targets: CudaNv12Target[] | undefined;
  let cUnavailable: string | undefined;
  const gpu = exp.encoderTarget();
  if (!Array.isArray(gpu)) {
    cUnavailable = (gpu as ExportUnavailable).unavailable;
  } else {
    targets = [];
    try {
      for (const d of gpu) targets.push(CudaNv12Target.open(d));
    } catch (err) {
      cUnavailable = `CUDA import failed: ${(err as Error).message}`;
    }
  }
  const a: number[] = [];
  const b: number[] = [];
  const c: number[] = [];
  const runA = async (f: number): Promise<number> => {
    const tex = scene.render(f);
    const t0 = performance.now();
    const rgba = await readTexture(device, tex);
    rgbaToNv12(rgba.data, width, height);
    return performance.now() - t0;
  };
  const runB = async (f: number): Promise<number> => {
    const tex = scene.render(f);
    const t0 = performance.now();
    await plain.convert(tex, { readback: true }).done;
    return performance.now() - t0;
  };
  const runC = (f: number): number => {
    const tex = scene.render(f);
    const t0 = performance.now();
    const job = exp.convert(tex, { readback: false });
    targets![job.slot]!.waitFrame(job.frameNumber, 5000);
    const dt = performance.now() - t0;
    job.release();
    return dt;
  };
  const warm = 10;
  for (let i = 0; i < warm + frames; i++) {
    const f = i + 1;
    const order = i % 3; // rotate which path goes first
    for (let k = 0; k < 3; k++) {
      const which = (order + k) % 3;
      if (which === 0) {
        const dt = await runA(f);
        if (i >= warm) a.push(dt);
      } else if (which === 1) {
        const dt = await runB(f);
        if (i >= warm) b.push(dt);
      } else if (targets && !cUnavailable) {
        const dt = runC(f);
        if (i >= warm) c.push(dt);
      }
    }
    if (i > 0 && i % 50 === 0) log(`  ${width}x${height}: ${i}/${warm + frames} frames`);
  }
  // Teardown order: CUDA imports, then the Vulkan side.
  for (const t of targets ?? []) t.close();
  exp.dispose();
  plain.dispose();
  scene.dispose();
  return {
    width,
    height,
    frames,
    a: stats('(a) RGBA mapAsync + CPU NV12', a),
    b: stats('(b) GPU NV12 + mapAsync', b),
    c: cUnavailable
      ? { path: '(c) exported NV12 + CUDA wait', unavailable: cUnavailable }
      : stats('(c) exported NV12 + CUDA wait', c),
  };
}

const f2 = (v: number | undefined): string => (v === undefined ? '—' : v.toFixed(2));

/** The results as a text table (one row per size and path) with the a/c and b/c ratios. */
export function formatTable(results: SizeResult[]): string {
  const lines = [
    'size        path                             median ms    p99 ms   vs (c) median',
    '----------  -------------------------------  ---------  --------  -------------',
  ];
  for (const r of results) {
    const size = `${r.width}x${r.height}`.padEnd(10);
    for (const p of [r.a, r.b, r.c]) {
      const ratio =
        p !== r.c && r.c.median && p.median ? `${(p.median / r.c.median).toFixed(1)}x` : '';
      if (p.unavailable) {
        lines.push(`${size}  ${p.path.padEnd(31)}  unavailable: ${p.unavailable}`);
      } else {
        lines.push(
          `${size}  ${p.path.padEnd(31)}  ${f2(p.median).padStart(9)}  ${f2(p.p99).padStart(8)}  ${ratio.padStart(13)}`,
        );
      }
    }
    if (r.c.median) {
      lines.push(
        `${size}  ratios (medians): a/c = ${(r.a.median! / r.c.median).toFixed(1)}x, ` +
          `b/c = ${(r.b.median! / r.c.median).toFixed(1)}x  (${r.frames} frames each)`,
      );
    }
  }
  return lines.join('\n');
}

/** Parses `--frames N` and `--sizes WxH,WxH`. */
export function parseArgs(argv: string[]): { frames: number; sizes: [number, number][] } {
  let frames = 200;
  let sizes: [number, number][] = [
    [1920, 1080],
    [3840, 2160],
  ];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--frames') frames = Number(argv[++i]);
    else if (argv[i] === '--sizes') {
      sizes = argv[++i]!.split(',').map((s) => s.split('x').map(Number) as [number, number]);
    }
  }
  if (!(frames >= 1)) throw new Error('--frames must be >= 1');
  return { frames, sizes };
}

/** Runs the benchmark and prints the table (the last lines of the output). */
export async function runZeroCopyBench(argv: string[]): Promise<SizeResult[]> {
  const { frames, sizes } = parseArgs(argv);
  const { device, adapterName } = await openExportableDevice();
  console.log(`zero-copy bench on ${adapterName}, ${frames} frames per path and size`);
  const results: SizeResult[] = [];
  for (const [w, h] of sizes) {
    results.push(await benchSize(device, w, h, frames, (l) => console.log(l)));
  }
  device.destroy();
  console.log('\n' + formatTable(results));
  return results;
}

if (process.argv[1] && /zero-copy\.bench\.(ts|mjs|js)$/.test(process.argv[1])) {
  runZeroCopyBench(process.argv.slice(2)).then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(2);
    },
  );
}
