/**
 * The frame-timing ring buffer: the last N {@link FrameTiming} records, plus live subscribers
 * (the HTTP API serves both; the debugger reads them).
 */
import type { FrameStages, FrameTiming, TimingSource } from './contracts.ts';

/** Stage names in pipeline order. */
export const STAGES: readonly (keyof FrameStages)[] = [
  'render',
  'convert',
  'readback',
  'encode',
  'send',
];

/** A fixed-capacity ring of frame timing records. */
export class FrameTimingRing implements TimingSource {
  private readonly records: (FrameTiming | undefined)[];
  private next = 0;
  private count = 0;
  private readonly listeners = new Set<(timing: FrameTiming) => void>();

  /** @param capacity records kept (default 2048: 34 s at 60 fps). */
  constructor(readonly capacity = 2048) {
    if (!Number.isInteger(capacity) || capacity <= 0)
      throw new Error(`capacity must be a positive integer, got ${capacity}`);
    this.records = new Array<FrameTiming | undefined>(capacity);
  }

  /** Adds a completed record and tells every subscriber. A throwing subscriber is removed. */
  push(timing: FrameTiming): void {
    this.records[this.next] = timing;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
    for (const listener of this.listeners) {
      try {
        listener(timing);
      } catch {
        this.listeners.delete(listener);
      }
    }
  }

  recent(count = this.capacity): FrameTiming[] {
    const n = Math.max(0, Math.min(Math.floor(count), this.count));
    const out: FrameTiming[] = [];
    for (let i = n; i > 0; i--) {
      out.push(this.records[(this.next - i + this.capacity) % this.capacity]!);
    }
    return out;
  }

  subscribe(listener: (timing: FrameTiming) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Median, p99 and count of one stage over `records` (frames where the stage ran). */
export function stageStats(
  records: readonly FrameTiming[],
  stage: keyof FrameStages,
): { median: number; p99: number; count: number } {
  const values = records.map((r) => r.stages[stage]).filter((v): v is number => v !== undefined);
  return { median: percentile(values, 50), p99: percentile(values, 99), count: values.length };
}

/** The p-th percentile (nearest rank) of `values`; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}
