/**
 * Frame timing records → Chrome trace (JSON Trace Event Format, the "JSON Object Format" with a
 * `traceEvents` array), which opens in Perfetto (ui.perfetto.dev) and chrome://tracing.
 *
 * Layout: one process "Zerocast pipeline"; frames that overlap in time (the engine keeps several
 * in flight) are spread over lanes (threads "frames lane N") so slices on a lane never overlap.
 * Each frame is a complete event (`ph: 'X'`) named `frame <id>` with one nested complete event per
 * stage, laid end to end in pipeline order from the frame's start (stages run one after another).
 * GPU-measured stage times, when a record has them, go to a second process "GPU" on the same
 * timeline. Dropped frames are instant events (`ph: 'i'`). Timestamps are µs since the first frame.
 */
import { STAGE_NAMES, type FrameTiming } from '../../../../main/api/schema.ts';
import { frameTotalMs, lastSeconds } from './stats.ts';

/** One trace event (the fields this exporter writes). */
export interface TraceEvent {
  name: string;
  cat: string;
  ph: 'X' | 'i' | 'M';
  /** Start, µs. */
  ts: number;
  /** Duration, µs (complete events). */
  dur?: number;
  pid: number;
  tid: number;
  /** Instant event scope (`t`: thread). */
  s?: 't';
  args?: Record<string, unknown>;
}

/** A Chrome trace in the JSON Object Format. */
export interface ChromeTrace {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ms';
  otherData: Record<string, string | number>;
}

/** Process ids used in the trace. */
export const PID_PIPELINE = 1;
export const PID_GPU = 2;

const us = (ms: number): number => Math.round(ms * 1000);

/**
 * Converts `frames` (any order) to a Chrome trace.
 * @param meta extra `otherData` entries (e.g. adapter, encoder, settings).
 */
export function toChromeTrace(
  frames: readonly FrameTiming[],
  meta: Record<string, string | number> = {},
): ChromeTrace {
  const sorted = [...frames].sort((a, b) => a.startMs - b.startMs || a.id - b.id);
  const origin = sorted[0]?.startMs ?? 0;
  const events: TraceEvent[] = [];
  const laneEnds: number[] = [];
  const gpuLaneEnds: number[] = [];
  const meta_ = (pid: number, tid: number, name: string, value: string): TraceEvent => ({
    name,
    cat: '__metadata',
    ph: 'M',
    ts: 0,
    pid,
    tid,
    args: { name: value },
  });
  events.push(meta_(PID_PIPELINE, 0, 'process_name', 'Zerocast pipeline (CPU)'));

  for (const f of sorted) {
    const ts = us(f.startMs - origin);
    if (f.dropped !== undefined) {
      events.push({
        name: `dropped frame ${f.id}`,
        cat: 'dropped',
        ph: 'i',
        s: 't',
        ts,
        pid: PID_PIPELINE,
        tid: 0,
        args: { frame: f.id, reason: f.dropped },
      });
      continue;
    }
    const dur = us(frameTotalMs(f));
    const lane = takeLane(laneEnds, ts, ts + dur);
    const tid = lane + 1;
    events.push({
      name: `frame ${f.id}`,
      cat: 'frame',
      ph: 'X',
      ts,
      dur,
      pid: PID_PIPELINE,
      tid,
      args: { frame: f.id, bytes: f.bytes, keyframe: f.keyframe },
    });
    let t = ts;
    for (const stage of STAGE_NAMES) {
      const ms = f.stages[stage];
      if (ms === undefined) continue;
      const d = us(ms);
      events.push({
        name: stage,
        cat: 'stage',
        ph: 'X',
        ts: t,
        dur: d,
        pid: PID_PIPELINE,
        tid,
        args: { frame: f.id },
      });
      t += d;
    }
    if (f.gpuStages) {
      // GPU work of the frame, laid out from the frame start on its own process.
      let g = ts;
      const gpuDur = STAGE_NAMES.reduce((sum, s) => sum + us(f.gpuStages?.[s] ?? 0), 0);
      const gLane = takeLane(gpuLaneEnds, g, g + gpuDur);
      for (const stage of STAGE_NAMES) {
        const ms = f.gpuStages[stage];
        if (ms === undefined) continue;
        const d = us(ms);
        events.push({
          name: stage,
          cat: 'gpu',
          ph: 'X',
          ts: g,
          dur: d,
          pid: PID_GPU,
          tid: gLane + 1,
          args: { frame: f.id },
        });
        g += d;
      }
    }
  }
  laneEnds.forEach((_, i) =>
    events.push(meta_(PID_PIPELINE, i + 1, 'thread_name', `frames lane ${i + 1}`)),
  );
  events.push(meta_(PID_PIPELINE, 0, 'thread_name', 'dropped frames'));
  if (gpuLaneEnds.length) {
    events.push(meta_(PID_GPU, 0, 'process_name', 'GPU (timestamp queries)'));
    gpuLaneEnds.forEach((_, i) =>
      events.push(meta_(PID_GPU, i + 1, 'thread_name', `GPU lane ${i + 1}`)),
    );
  }
  return {
    traceEvents: events,
    displayTimeUnit: 'ms',
    otherData: { generator: 'Zerocast', originEpochMs: origin, frames: sorted.length, ...meta },
  };
}

/** The first lane free at `start` (its last slice ended by then), marked busy until `end`. */
function takeLane(laneEnds: number[], start: number, end: number): number {
  let lane = laneEnds.findIndex((e) => e <= start);
  if (lane < 0) lane = laneEnds.push(end) - 1;
  else laneEnds[lane] = end;
  return lane;
}

/** Converts the last `seconds` of `frames` (relative to the newest) to a Chrome trace. */
export function traceOfLastSeconds(
  frames: readonly FrameTiming[],
  seconds: number,
  meta: Record<string, string | number> = {},
): ChromeTrace {
  return toChromeTrace(lastSeconds(frames, seconds), { windowSeconds: seconds, ...meta });
}

/** A file name for an exported trace, e.g. `zerocast-trace-2026-11-20T22-45-00.json`. */
export function traceFileName(at: Date = new Date()): string {
  return `zerocast-trace-${at.toISOString().slice(0, 19).replace(/:/g, '-')}.json`;
}
