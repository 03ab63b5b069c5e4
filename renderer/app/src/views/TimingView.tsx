/**
 * The frame-timing debugger: a per-frame stacked timeline of the pipeline stages against the frame
 * budget, p50/p95/p99, a histogram of frame times, late and dropped frames, CPU and GPU time apart
 * (when the records carry GPU times), pause-and-inspect, and export to a Chrome trace.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import { STAGE_NAMES, type FrameTiming } from '../../../../main/api/schema.ts';
import { useTimingFeed } from '../hooks.ts';
import { STAGE_COLORS, STAGE_LABELS, formatBytes, formatCount, formatMs } from '../format.ts';
import {
  histogram,
  frameBudgetMs,
  frameTotalMs,
  lastSeconds,
  timingReport,
} from '../timing/stats.ts';
import { traceFileName, traceOfLastSeconds } from '../timing/trace.ts';
import { UPlotChart } from '../components/UPlotChart.tsx';
import { IconDownload, IconPause, IconPlay } from '../components/icons.tsx';
import { Badge, Panel, Stat } from '../components/ui.tsx';
import type { ViewProps } from './ScenesView.tsx';

declare global {
  interface Window {
    /** Test hooks of the debugger. */
    zerocastTiming?: { frames(): FrameTiming[]; exportTrace(seconds: number): string };
  }
}

const WINDOWS = [5, 10, 30];
const AXIS = {
  stroke: '#8b949e',
  grid: { stroke: 'rgba(240,246,252,0.06)', width: 1 },
  ticks: { stroke: 'rgba(240,246,252,0.12)', width: 1, size: 4 },
  font: '11px Inter, system-ui, sans-serif',
};

function withAlpha(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/** Timeline data: x = frame ids, then cumulative stage tops (send first), budget, dropped markers. */
function timelineData(frames: readonly FrameTiming[], budget: number): uPlot.AlignedData {
  const xs = frames.map((f) => f.id);
  const cumulative = STAGE_NAMES.map(() => new Array<number | null>(frames.length).fill(null));
  const dropped = new Array<number | null>(frames.length).fill(null);
  frames.forEach((f, i) => {
    if (f.dropped !== undefined) {
      dropped[i] = budget;
      return;
    }
    let sum = 0;
    STAGE_NAMES.forEach((s, k) => {
      sum += f.stages[s] ?? 0;
      cumulative[k]![i] = sum;
    });
  });
  return [xs, ...[...cumulative].reverse(), xs.map(() => budget), dropped] as uPlot.AlignedData;
}

/** What the timeline's uPlot callbacks read at draw/click time (kept current by the view). */
interface TimelineLive {
  budget: number;
  selected: number | undefined;
  pick(id: number): void;
}

function timelineOptions(live: { current: TimelineLive }): Omit<uPlot.Options, 'width' | 'height'> {
  const bars = uPlot.paths.bars!({ size: [1, 12], gap: 0 });
  const stageSeries: uPlot.Series[] = [...STAGE_NAMES].reverse().map((s) => ({
    label: STAGE_LABELS[s],
    stroke: STAGE_COLORS[s],
    fill: STAGE_COLORS[s],
    width: 0,
    paths: bars,
    points: { show: false },
  }));
  const drag = { x: 0 };
  return {
    legend: { show: false },
    padding: [8, 8, 0, 0],
    cursor: { drag: { x: true, y: false }, points: { show: false } },
    scales: {
      x: { time: false },
      y: { range: (_u, _min, max) => [0, Math.max(max ?? 0, live.current.budget * 1.3) * 1.05] },
    },
    axes: [
      { ...AXIS, size: 30 },
      { ...AXIS, size: 56, values: (_u, vals) => vals.map((v) => `${+v.toFixed(1)} ms`) },
    ],
    series: [
      {},
      ...stageSeries,
      {
        label: 'Budget',
        stroke: '#f85149',
        width: 1.5,
        dash: [6, 4],
        points: { show: false },
      },
      {
        label: 'Dropped',
        stroke: '#f85149',
        paths: () => null,
        points: { show: true, size: 8, width: 2, stroke: '#f85149', fill: '#0d1117' },
      },
    ],
    hooks: {
      ready: [
        (u) => {
          u.over.addEventListener('mousedown', (e) => (drag.x = e.clientX));
          u.over.addEventListener('click', (e) => {
            if (Math.abs(e.clientX - drag.x) > 3) return;
            const idx = u.cursor.idx;
            const id = idx == null ? undefined : u.data[0][idx];
            if (id !== undefined) live.current.pick(id);
          });
        },
      ],
      draw: [
        (u) => {
          const id = live.current.selected;
          if (id === undefined) return;
          const x = u.valToPos(id, 'x', true);
          if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
          const { ctx } = u;
          ctx.save();
          ctx.fillStyle = 'rgba(255,255,255,0.16)';
          const w = Math.max(3, (u.bbox.width / Math.max(1, u.data[0].length)) * devicePixelRatio);
          ctx.fillRect(x - w / 2, u.bbox.top, w, u.bbox.height);
          ctx.restore();
        },
      ],
    },
  };
}

function histogramOptions(): Omit<uPlot.Options, 'width' | 'height'> {
  const bars = uPlot.paths.bars!({ size: [0.9, 40], gap: 1 });
  return {
    legend: { show: false },
    padding: [8, 24, 0, 0],
    cursor: { show: true, drag: { x: false, y: false }, points: { show: false } },
    scales: {
      x: { time: false },
      y: { range: (_u, _min, max) => [0, Math.max(1, max ?? 1) * 1.1] },
    },
    axes: [
      {
        ...AXIS,
        size: 30,
        values: (_u, vals) => vals.map((v) => `${+v.toFixed(1)} ms`),
      },
      { ...AXIS, size: 44 },
    ],
    series: [
      {},
      {
        label: 'Within budget',
        fill: withAlpha('#6e8efb', 0.85),
        stroke: '#6e8efb',
        width: 0,
        paths: bars,
        points: { show: false },
      },
      {
        label: 'Late',
        fill: withAlpha('#f85149', 0.85),
        stroke: '#f85149',
        width: 0,
        paths: bars,
        points: { show: false },
      },
    ],
  };
}

function clock(ms: number): string {
  const d = new Date(ms);
  return `${d.toLocaleTimeString('en-GB', { hour12: false })}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

function Inspector(props: { frame: FrameTiming | undefined; budget: number }) {
  const f = props.frame;
  if (!f) {
    return (
      <div className="inspector-empty">
        Click a bar in the timeline to inspect that frame. Pause first to hold the picture still.
      </div>
    );
  }
  const total = frameTotalMs(f);
  const scale = Math.max(total, props.budget) || 1;
  const hasGpu = f.gpuStages !== undefined;
  const starts = STAGE_NAMES.map((_, i) =>
    STAGE_NAMES.slice(0, i).reduce((sum, s) => sum + (f.stages[s] ?? 0), 0),
  );
  return (
    <div className="inspector" data-testid="inspector">
      <div className="inspector-head">
        <span className="inspector-id">Frame {f.id}</span>
        {f.dropped !== undefined ? (
          <Badge tone="bad">dropped · {f.dropped}</Badge>
        ) : total > props.budget ? (
          <Badge tone="warn">late by {formatMs(total - props.budget)}</Badge>
        ) : (
          <Badge tone="ok">on time</Badge>
        )}
        {f.keyframe ? <Badge tone="muted">IDR</Badge> : null}
      </div>
      <dl className="kv kv-compact">
        <dt>Started</dt>
        <dd>{clock(f.startMs)}</dd>
        <dt>Total</dt>
        <dd>
          {formatMs(total)} <span className="muted">of {formatMs(props.budget)}</span>
        </dd>
        <dt>Encoded size</dt>
        <dd>{formatBytes(f.bytes)}</dd>
      </dl>
      <div className="waterfall">
        {STAGE_NAMES.map((s, i) => {
          const ms = f.stages[s];
          const start = starts[i]!;
          return (
            <div key={s} className="wf-row">
              <span className="wf-label">{STAGE_LABELS[s]}</span>
              <div className="wf-track">
                <div className="wf-budget" style={{ left: `${(props.budget / scale) * 100}%` }} />
                {ms !== undefined ? (
                  <div
                    className="wf-bar"
                    style={{
                      left: `${(start / scale) * 100}%`,
                      width: `${Math.max(0.4, (ms / scale) * 100)}%`,
                      background: STAGE_COLORS[s],
                    }}
                  />
                ) : null}
              </div>
              <span className="wf-ms">
                {ms !== undefined ? formatMs(ms) : 'skipped'}
                {hasGpu && f.gpuStages?.[s] !== undefined ? (
                  <span className="muted"> · GPU {formatMs(f.gpuStages[s])}</span>
                ) : null}
              </span>
            </div>
          );
        })}
      </div>
    </div>
  );
}

/** The frame-timing debugger view. */
export function TimingView({ status }: ViewProps) {
  const { frames, source } = useTimingFeed(250);
  const [paused, setPaused] = useState<FrameTiming[]>();
  const [windowSec, setWindowSec] = useState(10);
  const [exportSec, setExportSec] = useState('10');
  const [selected, setSelected] = useState<FrameTiming>();
  const fps = status?.settings.fps ?? 60;
  const budget = frameBudgetMs(fps);

  const all = paused ?? frames;
  const shown = useMemo(() => lastSeconds(all, windowSec), [all, windowSec]);
  const report = useMemo(() => timingReport(shown, fps), [shown, fps]);
  const timeline = useMemo(() => timelineData(shown, budget), [shown, budget]);
  const hist = useMemo(() => {
    const totals = shown.filter((f) => f.dropped === undefined).map(frameTotalMs);
    const h = histogram(totals, 32, budget);
    const xs = h.edges.slice(0, -1).map((e) => e + h.binWidth / 2);
    const within = h.counts.map((c, i) => (h.edges[i]! + h.binWidth <= budget + 1e-9 ? c : null));
    const late = h.counts.map((c, i) => (h.edges[i]! + h.binWidth > budget + 1e-9 ? c : null));
    return [xs, within, late] as uPlot.AlignedData;
  }, [shown, budget]);

  // What the chart's callbacks read when they run (never during render).
  const live = useRef<TimelineLive>({ budget, selected: undefined, pick: () => undefined });
  useEffect(() => {
    const byId = new Map(shown.map((f) => [f.id, f]));
    live.current = { budget, selected: selected?.id, pick: (id) => setSelected(byId.get(id)) };
  }, [budget, selected, shown]);

  const exportTrace = useCallback(
    (seconds: number): string => {
      const meta: Record<string, string | number> = {};
      if (status) {
        meta.adapter = status.adapter.name;
        meta.encoder = status.encoder.name;
        meta.size = `${status.settings.width}x${status.settings.height}`;
        meta.fps = status.settings.fps;
        meta.bitrate = status.settings.bitrate;
        meta.scene = status.settings.scene;
      }
      return JSON.stringify(traceOfLastSeconds(all, seconds, meta));
    },
    [all, status],
  );
  useEffect(() => {
    window.zerocastTiming = { frames: () => [...all], exportTrace };
    return () => {
      delete window.zerocastTiming;
    };
  }, [all, exportTrace]);

  const download = () => {
    const seconds = Math.max(0.1, Number(exportSec) || 10);
    const blob = new Blob([exportTrace(seconds)], { type: 'application/json' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = traceFileName();
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  };

  const togglePause = () => {
    if (paused) {
      setPaused(undefined);
    } else {
      setPaused(frames);
      if (!selected) setSelected(frames.findLast((f) => f.dropped === undefined));
    }
  };

  const completed = report.frames - report.dropped;
  const latePct = completed ? (report.late / completed) * 100 : 0;
  const gpu = report.gpuStages;
  return (
    <div className="timing" data-testid="view-timing">
      <div className="toolbar">
        <div className="toolbar-title">
          <h2>Frame timing</h2>
          <Badge tone={paused ? 'warn' : source === 'connecting' ? 'muted' : 'live'}>
            {paused ? 'Paused' : source === 'polling' ? 'Live · polling' : '● Live'}
          </Badge>
        </div>
        <div className="toolbar-actions">
          <div className="segmented" role="group" aria-label="Window">
            {WINDOWS.map((w) => (
              <button
                key={w}
                type="button"
                className={w === windowSec ? 'on' : ''}
                onClick={() => setWindowSec(w)}
              >
                {w} s
              </button>
            ))}
          </div>
          <button type="button" className="btn" onClick={togglePause} data-testid="timing-pause">
            {paused ? <IconPlay size={14} /> : <IconPause size={14} />}
            {paused ? 'Resume' : 'Pause'}
          </button>
          <div className="export-group">
            <span>Last</span>
            <input
              type="number"
              min={1}
              max={60}
              value={exportSec}
              onChange={(e) => setExportSec(e.target.value)}
              aria-label="Seconds to export"
              data-testid="export-seconds"
            />
            <span>s</span>
            <button
              type="button"
              className="btn btn-primary"
              onClick={download}
              data-testid="export-trace"
            >
              <IconDownload size={14} /> Export trace
            </button>
          </div>
        </div>
      </div>

      <div className="stat-row stat-row-7">
        <Stat
          label="Frames"
          value={formatCount(report.frames)}
          hint={`last ${windowSec} s`}
          testId="timing-frames"
        />
        <Stat
          label="p50"
          value={formatMs(report.total.p50)}
          hint="render → send"
          testId="timing-p50"
        />
        <Stat
          label="p95"
          value={formatMs(report.total.p95)}
          tone={report.total.p95 > budget ? 'warn' : undefined}
          testId="timing-p95"
        />
        <Stat
          label="p99"
          value={formatMs(report.total.p99)}
          tone={report.total.p99 > budget ? 'warn' : undefined}
          testId="timing-p99"
        />
        <Stat label="Budget" value={formatMs(budget)} hint={`${fps} fps`} />
        <Stat
          label="Late"
          value={formatCount(report.late)}
          hint={`${latePct.toFixed(1)} % of frames`}
          tone={report.late ? 'warn' : 'ok'}
          testId="timing-late"
        />
        <Stat
          label="Dropped"
          value={formatCount(report.dropped)}
          hint={`${report.frames ? ((report.dropped / report.frames) * 100).toFixed(1) : '0.0'} % of frames`}
          tone={report.dropped ? 'bad' : 'ok'}
          testId="timing-dropped"
        />
      </div>

      <div className="timing-top">
        <Panel
          title="Per-frame timeline"
          subtitle="Stacked stages per frame · dashed: budget · rings: dropped · drag to zoom, click to inspect"
          className="timeline-panel"
        >
          <UPlotChart
            optsKey="timeline"
            makeOptions={() => timelineOptions(live)}
            redrawKey={selected?.id}
            data={timeline}
            height={180}
            keepZoom={paused !== undefined}
            testId="timeline-chart"
          />
          <div className="legend">
            {STAGE_NAMES.map((s) => (
              <span key={s} className="legend-item">
                <i style={{ background: STAGE_COLORS[s] }} />
                {STAGE_LABELS[s]}
              </span>
            ))}
          </div>
        </Panel>

        <Panel
          title="Frame inspector"
          subtitle={selected ? undefined : 'One frame, stage by stage'}
        >
          <Inspector frame={selected} budget={budget} />
        </Panel>
      </div>
      <div className="timing-grid">
        <Panel
          title="Frame time histogram"
          subtitle="Completed frames, render → send · red: over budget"
        >
          <UPlotChart
            optsKey="hist"
            makeOptions={histogramOptions}
            data={hist}
            height={192}
            testId="histogram-chart"
          />
        </Panel>
        <Panel
          title="Stages"
          subtitle={gpu ? 'CPU wall time · GPU timestamp queries' : 'CPU wall time per stage'}
        >
          <table className="table table-compact" data-testid="stage-table">
            <thead>
              <tr>
                <th>Stage</th>
                <th className="num">Frames</th>
                <th className="num">p50</th>
                <th className="num">p95</th>
                <th className="num">p99</th>
                {gpu ? <th className="num">GPU p50</th> : <th className="num">max</th>}
              </tr>
            </thead>
            <tbody>
              {STAGE_NAMES.map((s) => {
                const st = report.stages[s];
                return (
                  <tr key={s} data-testid={`stage-${s}`}>
                    <td>
                      <i className="swatch" style={{ background: STAGE_COLORS[s] }} />
                      {STAGE_LABELS[s]}
                    </td>
                    <td className="num" data-testid={`stage-${s}-count`}>
                      {formatCount(st.count)}
                    </td>
                    <td className="num">{formatMs(st.p50)}</td>
                    <td className="num">{formatMs(st.p95)}</td>
                    <td className="num">{formatMs(st.p99)}</td>
                    <td className="num">{gpu ? formatMs(gpu[s].p50) : formatMs(st.max)}</td>
                  </tr>
                );
              })}
              <tr className="total-row">
                <td>Total</td>
                <td className="num">{formatCount(report.total.count)}</td>
                <td className="num">{formatMs(report.total.p50)}</td>
                <td className="num">{formatMs(report.total.p95)}</td>
                <td className="num">{formatMs(report.total.p99)}</td>
                <td className="num">{formatMs(report.total.max)}</td>
              </tr>
            </tbody>
          </table>
        </Panel>
      </div>
    </div>
  );
}
