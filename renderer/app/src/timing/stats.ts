/**
 * Frame-timing statistics for the debugger (pure functions, unit-tested): per-frame totals,
 * percentiles, histograms, and late/dropped frames against the frame budget.
 */
import { STAGE_NAMES, type FrameTiming, type StageName } from '../../../../main/api/schema.ts';

/** The frame budget in ms at `fps` frames per second (1000 / fps). */
export function frameBudgetMs(fps: number): number {
  return fps > 0 ? 1000 / fps : Number.POSITIVE_INFINITY;
}

/** Sum of a frame's stage times, ms (the frame's latency from render start to send end). */
export function frameTotalMs(frame: FrameTiming): number {
  let total = 0;
  for (const stage of STAGE_NAMES) total += frame.stages[stage] ?? 0;
  return total;
}

/** The p-th percentile (nearest rank, 0 < p ≤ 100) of `values`; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return percentileSorted(sorted, p);
}

/** {@link percentile} over already ascending-sorted values. */
export function percentileSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Distribution summary of a set of durations, ms. */
export interface Summary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Summarises `values` (NaN fields when empty). */
export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    p50: percentileSorted(sorted, 50),
    p95: percentileSorted(sorted, 95),
    p99: percentileSorted(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
    mean: sorted.length ? sum / sorted.length : Number.NaN,
  };
}

/** Everything the debugger shows about a window of frames. */
export interface TimingReport {
  /** Frames in the window (dropped included). */
  frames: number;
  /** Frames dropped (with a `dropped` reason). */
  dropped: number;
  /** Completed frames whose total exceeded the budget. */
  late: number;
  /** The budget the frames were held against, ms. */
  budgetMs: number;
  /** Totals of completed frames. */
  total: Summary;
  /** Per stage, CPU-measured (frames where the stage ran). */
  stages: Record<StageName, Summary>;
  /** Per stage, GPU-measured, when any record carries GPU times. */
  gpuStages: Record<StageName, Summary> | undefined;
}

/** Computes the {@link TimingReport} of `frames` against the budget of `fps`. */
export function timingReport(frames: readonly FrameTiming[], fps: number): TimingReport {
  const budgetMs = frameBudgetMs(fps);
  const totals: number[] = [];
  let dropped = 0;
  let late = 0;
  for (const f of frames) {
    if (f.dropped !== undefined) {
      dropped++;
      continue;
    }
    const total = frameTotalMs(f);
    totals.push(total);
    if (total > budgetMs) late++;
  }
  const per = (pick: (f: FrameTiming) => number | undefined): Summary =>
    summarize(frames.map(pick).filter((v): v is number => v !== undefined));
  const stages = Object.fromEntries(STAGE_NAMES.map((s) => [s, per((f) => f.stages[s])])) as Record<
    StageName,
    Summary
  >;
  const hasGpu = frames.some((f) => f.gpuStages !== undefined);
  const gpuStages = hasGpu
    ? (Object.fromEntries(STAGE_NAMES.map((s) => [s, per((f) => f.gpuStages?.[s])])) as Record<
        StageName,
        Summary
      >)
    : undefined;
  return {
    frames: frames.length,
    dropped,
    late,
    budgetMs,
    total: summarize(totals),
    stages,
    gpuStages,
  };
}

/** Whether a completed frame is late against `budgetMs` (dropped frames are not "late"). */
export function isLate(frame: FrameTiming, budgetMs: number): boolean {
  return frame.dropped === undefined && frameTotalMs(frame) > budgetMs;
}

/** A histogram: `counts[i]` values fell in `[edges[i], edges[i+1])`; the last bin is closed. */
export interface Histogram {
  edges: number[];
  counts: number[];
  binWidth: number;
}

/**
 * Bins `values` into bins of a "nice" width (1, 2, 2.5 or 5 × 10^k ms) chosen so that about
 * `targetBins` bins span 0..max(values, budget). Empty input gives one empty bin.
 */
export function histogram(values: readonly number[], targetBins = 30, budgetMs = 0): Histogram {
  const finite = values.filter((v) => Number.isFinite(v) && v >= 0);
  const hi = Math.max(budgetMs && Number.isFinite(budgetMs) ? budgetMs : 0, ...finite, 0);
  if (hi <= 0) return { edges: [0, 1], counts: [finite.length], binWidth: 1 };
  const binWidth = niceStep(hi / Math.max(1, targetBins));
  const n = Math.max(1, Math.floor(hi / binWidth) + 1);
  const counts = new Array<number>(n).fill(0);
  for (const v of finite) counts[Math.min(n - 1, Math.floor(v / binWidth))]!++;
  const edges = Array.from({ length: n + 1 }, (_, i) => round(i * binWidth));
  return { edges, counts, binWidth };
}

/** The smallest of 1, 2, 2.5, 5 × 10^k that is ≥ `raw`. */
export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const exp = Math.floor(Math.log10(raw));
  const base = 10 ** exp;
  for (const m of [1, 2, 2.5, 5, 10]) if (m * base >= raw * (1 - 1e-9)) return round(m * base);
  return round(10 * base);
}

function round(x: number): number {
  return Math.round(x * 1e9) / 1e9;
}

/** Frames of `frames` whose start lies within the last `seconds` before the newest frame. */
export function lastSeconds(frames: readonly FrameTiming[], seconds: number): FrameTiming[] {
  if (frames.length === 0) return [];
  const newest = frames.reduce((m, f) => Math.max(m, f.startMs), Number.NEGATIVE_INFINITY);
  const from = newest - seconds * 1000;
  return frames.filter((f) => f.startMs >= from);
}
