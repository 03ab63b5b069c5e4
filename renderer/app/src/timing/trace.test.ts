import { describe, expect, it } from 'vitest';
import type { FrameTiming } from '../../../../main/api/schema.ts';
import {
  PID_GPU,
  PID_PIPELINE,
  toChromeTrace,
  traceFileName,
  traceOfLastSeconds,
  type TraceEvent,
} from './trace.ts';

const full = { render: 2, convert: 1, readback: 3, encode: 5, send: 0.5 };
const frame = (id: number, startMs: number, extra: Partial<FrameTiming> = {}): FrameTiming => ({
  id,
  startMs,
  stages: full,
  bytes: 1000 + id,
  keyframe: id === 0,
  ...extra,
});

const complete = (events: TraceEvent[]) => events.filter((e) => e.ph === 'X');

describe('toChromeTrace', () => {
  it('writes one frame slice and one nested slice per stage, in µs from the first frame', () => {
    const trace = toChromeTrace([frame(1, 1016.5), frame(0, 1000)]);
    const json = JSON.parse(JSON.stringify(trace)) as { traceEvents: TraceEvent[] };
    expect(Array.isArray(json.traceEvents)).toBe(true);
    const x = complete(json.traceEvents);
    expect(x).toHaveLength(12);
    for (const e of x) {
      expect(typeof e.name).toBe('string');
      expect(Number.isInteger(e.ts)).toBe(true);
      expect(Number.isInteger(e.dur)).toBe(true);
      expect(e.pid).toBe(PID_PIPELINE);
    }
    const f0 = x.find((e) => e.name === 'frame 0')!;
    expect(f0).toMatchObject({
      ts: 0,
      dur: 11500,
      cat: 'frame',
      args: { frame: 0, keyframe: true },
    });
    const stages0 = x.filter((e) => e.cat === 'stage' && e.args?.frame === 0);
    expect(stages0.map((e) => e.name)).toEqual(['render', 'convert', 'readback', 'encode', 'send']);
    expect(stages0.map((e) => e.ts)).toEqual([0, 2000, 3000, 6000, 11000]);
    // stages are nested inside their frame, on the same track
    for (const s of stages0) {
      expect(s.tid).toBe(f0.tid);
      expect(s.ts + s.dur!).toBeLessThanOrEqual(f0.ts + f0.dur!);
    }
    expect(x.find((e) => e.name === 'frame 1')!.ts).toBe(16500);
  });

  it('puts overlapping frames on different lanes and never overlaps slices on one lane', () => {
    const frames = Array.from({ length: 50 }, (_, i) => frame(i, 1000 + i * 4)); // 11.5 ms long, every 4 ms
    const x = complete(toChromeTrace(frames).traceEvents).filter((e) => e.cat === 'frame');
    const byLane = new Map<number, TraceEvent[]>();
    for (const e of x) byLane.set(e.tid, [...(byLane.get(e.tid) ?? []), e]);
    expect(byLane.size).toBeGreaterThanOrEqual(3);
    for (const lane of byLane.values()) {
      for (let i = 1; i < lane.length; i++) {
        expect(lane[i]!.ts).toBeGreaterThanOrEqual(lane[i - 1]!.ts + lane[i - 1]!.dur!);
      }
    }
    const names = toChromeTrace(frames)
      .traceEvents.filter((e) => e.ph === 'M')
      .map((e) => e.args?.name);
    expect(names).toContain('frames lane 1');
  });

  it('marks dropped frames as instants and puts GPU times on their own process', () => {
    const trace = toChromeTrace([
      frame(0, 0, { gpuStages: { render: 1.25, convert: 0.5 } }),
      frame(1, 16, { stages: {}, dropped: 'pipeline-full', bytes: 0 }),
    ]);
    const dropped = trace.traceEvents.find((e) => e.cat === 'dropped')!;
    expect(dropped).toMatchObject({ ph: 'i', ts: 16000, args: { reason: 'pipeline-full' } });
    const gpu = trace.traceEvents.filter((e) => e.pid === PID_GPU && e.ph === 'X');
    expect(gpu.map((e) => [e.name, e.ts, e.dur])).toEqual([
      ['render', 0, 1250],
      ['convert', 1250, 500],
    ]);
  });

  it('exports the last N seconds and names the file', () => {
    const frames = Array.from({ length: 300 }, (_, i) => frame(i, i * 10));
    const trace = traceOfLastSeconds(frames, 2, { encoder: 'openh264' });
    const ids = trace.traceEvents
      .filter((e) => e.cat === 'frame')
      .map((e) => e.args?.frame as number);
    expect(ids.length).toBe(201);
    expect(Math.min(...ids)).toBe(99);
    expect(trace.otherData).toMatchObject({ encoder: 'openh264', windowSeconds: 2 });
    expect(traceFileName(new Date('2026-11-20T22:45:00Z'))).toBe(
      'zerocast-trace-2026-11-20T22-45-00.json',
    );
  });

  it('handles no frames', () => {
    expect(complete(toChromeTrace([]).traceEvents)).toEqual([]);
  });
});
