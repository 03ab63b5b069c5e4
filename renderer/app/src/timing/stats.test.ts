import { describe, expect, it } from 'vitest';
import type { FrameTiming } from '../../../../main/api/schema.ts';
import {
  frameBudgetMs,
  frameTotalMs,
  histogram,
  isLate,
  lastSeconds,
  niceStep,
  percentile,
  summarize,
  timingReport,
} from './stats.ts';

const frame = (
  id: number,
  stages: FrameTiming['stages'],
  extra: Partial<FrameTiming> = {},
): FrameTiming => ({
  id,
  startMs: 1_000_000 + id * 10,
  stages,
  bytes: 100,
  keyframe: false,
  ...extra,
});

describe('percentiles', () => {
  it('uses nearest rank', () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
    expect(percentile(v, 50)).toBe(50);
    expect(percentile(v, 95)).toBe(95);
    expect(percentile(v, 99)).toBe(99);
    expect(percentile(v, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([3, 1, 2], 50)).toBe(2);
    expect(percentile([], 50)).toBeNaN();
  });
  it('summarizes', () => {
    expect(summarize([4, 1, 3, 2])).toEqual({
      count: 4,
      p50: 2,
      p95: 4,
      p99: 4,
      max: 4,
      mean: 2.5,
    });
    expect(summarize([]).p50).toBeNaN();
  });
});

describe('budget, late and dropped', () => {
  it('computes the budget from fps', () => {
    expect(frameBudgetMs(60)).toBeCloseTo(16.667, 3);
    expect(frameBudgetMs(30)).toBeCloseTo(33.333, 3);
    expect(frameBudgetMs(0)).toBe(Infinity);
  });
  it('counts late and dropped frames', () => {
    const frames = [
      frame(0, { render: 2, convert: 1, readback: 3, encode: 5, send: 0.5 }), // 11.5
      frame(1, { render: 2, convert: 1, readback: 3, encode: 12, send: 0.5 }), // 18.5 late at 60
      frame(2, {}, { dropped: 'pipeline-full', bytes: 0 }),
      frame(3, { render: 16.7 }), // 16.7 > 16.667 late
      frame(4, { render: 10 }),
    ];
    expect(frameTotalMs(frames[0]!)).toBeCloseTo(11.5);
    const r = timingReport(frames, 60);
    expect(r.frames).toBe(5);
    expect(r.dropped).toBe(1);
    expect(r.late).toBe(2);
    expect(r.total.count).toBe(4);
    expect(r.total.max).toBeCloseTo(18.5);
    expect(r.stages.render.count).toBe(4);
    expect(r.stages.encode.count).toBe(2);
    expect(r.gpuStages).toBeUndefined();
    expect(isLate(frames[1]!, 1000 / 60)).toBe(true);
    expect(isLate(frames[2]!, 1000 / 60)).toBe(false);
    expect(timingReport(frames, 30).late).toBe(0);
  });
  it('reports GPU stages apart when present', () => {
    const r = timingReport(
      [frame(0, { render: 3 }, { gpuStages: { render: 1, convert: 0.2 } })],
      60,
    );
    expect(r.gpuStages?.render.p50).toBe(1);
    expect(r.gpuStages?.convert.p50).toBe(0.2);
    expect(r.stages.render.p50).toBe(3);
  });
});

describe('histogram', () => {
  it('bins values with a nice width covering the budget', () => {
    const h = histogram([0.4, 1.2, 1.9, 2.1, 9.99], 10, 16.667);
    expect(h.binWidth).toBe(2);
    expect(h.edges[0]).toBe(0);
    expect(h.edges.length).toBe(h.counts.length + 1);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(5);
    expect(h.counts[0]).toBe(3); // [0, 2) holds 0.4, 1.2 and 1.9
  });
  it('handles empty input', () => {
    expect(histogram([])).toEqual({ edges: [0, 1], counts: [0], binWidth: 1 });
  });
  it('picks 1/2/2.5/5 steps', () => {
    expect(niceStep(0.7)).toBe(1);
    expect(niceStep(1.5)).toBe(2);
    expect(niceStep(2.2)).toBe(2.5);
    expect(niceStep(3)).toBe(5);
    expect(niceStep(0.03)).toBe(0.05);
    expect(niceStep(60)).toBe(100);
  });
});

describe('lastSeconds', () => {
  it('keeps frames within N seconds of the newest', () => {
    const frames = Array.from({ length: 500 }, (_, i) => frame(i, { render: 1 })); // 10 ms apart
    expect(lastSeconds(frames, 1).length).toBe(101);
    expect(lastSeconds([], 1)).toEqual([]);
  });
});
