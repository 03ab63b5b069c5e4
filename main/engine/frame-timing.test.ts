import { describe, expect, it } from 'vitest';
import { FrameTimingRing, percentile, stageStats } from './frame-timing.ts';
import type { FrameTiming } from './contracts.ts';

const record = (id: number, encode?: number): FrameTiming => ({
  id,
  startMs: 1000 + id,
  stages: encode === undefined ? {} : { encode },
  bytes: id,
  keyframe: false,
});

describe('FrameTimingRing', () => {
  it('keeps the last `capacity` records, oldest first', () => {
    const ring = new FrameTimingRing(4);
    for (let i = 0; i < 10; i++) ring.push(record(i));
    expect(ring.recent().map((r) => r.id)).toEqual([6, 7, 8, 9]);
    expect(ring.recent(2).map((r) => r.id)).toEqual([8, 9]);
    expect(ring.recent(0)).toEqual([]);
  });

  it('tells subscribers and stops after unsubscribe; drops a throwing one', () => {
    const ring = new FrameTimingRing(8);
    const seen: number[] = [];
    const off = ring.subscribe((t) => seen.push(t.id));
    let bad = 0;
    ring.subscribe(() => {
      bad++;
      throw new Error('boom');
    });
    ring.push(record(1));
    ring.push(record(2));
    off();
    ring.push(record(3));
    expect(seen).toEqual([1, 2]);
    expect(bad).toBe(1);
  });

  it('rejects a bad capacity', () => {
    expect(() => new FrameTimingRing(0)).toThrow(/capacity/);
  });
});

describe('stage statistics', () => {
  it('computes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile([], 50)).toBeNaN();
  });

  it('ignores frames where the stage did not run', () => {
    const stats = stageStats([record(1, 2), record(2), record(3, 4), record(4, 6)], 'encode');
    expect(stats).toEqual({ median: 4, p99: 6, count: 3 });
  });
});
