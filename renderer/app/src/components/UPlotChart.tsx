/**
 * A React wrapper of uPlot: creates the chart once per `optsKey` (calling `makeOptions` then),
 * pushes new data with `setData`, redraws when `redrawKey` changes, and follows the container's
 * width.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** Props of {@link UPlotChart}. */
export interface UPlotChartProps {
  /** Builds the chart options (without width/height); called when the chart is (re)created. */
  makeOptions: () => Omit<uPlot.Options, 'width' | 'height'>;
  /** Recreate the chart when this changes. */
  optsKey: string;
  data: uPlot.AlignedData;
  /** Height in pixels. */
  height: number;
  /** Keep the x scale the user zoomed to across data updates. */
  keepZoom?: boolean;
  /** Redraw (without new data) when this changes, e.g. after a selection drawn by a hook. */
  redrawKey?: unknown;
  className?: string;
  testId?: string;
}

/** A uPlot chart that fills its container's width. */
export function UPlotChart(props: UPlotChartProps) {
  const { makeOptions, optsKey, data, height, keepZoom, redrawKey } = props;
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const initial = useRef({ makeOptions, data, height });

  useEffect(() => {
    initial.current = { makeOptions, data, height };
  });

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const p = initial.current;
    const u = new uPlot(
      { ...p.makeOptions(), width: Math.max(100, el.clientWidth), height: p.height },
      p.data,
      el,
    );
    chart.current = u;
    const ro = new ResizeObserver(() => {
      const w = Math.max(100, el.clientWidth);
      if (Math.abs(w - u.width) > 1) u.setSize({ width: w, height: u.height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      chart.current = null;
    };
  }, [optsKey]);

  useEffect(() => {
    chart.current?.setData(data, !keepZoom);
  }, [data, keepZoom]);

  useEffect(() => {
    chart.current?.redraw(false, false);
  }, [redrawKey]);

  return (
    <div ref={ref} className={`uplot-host ${props.className ?? ''}`} data-testid={props.testId} />
  );
}
