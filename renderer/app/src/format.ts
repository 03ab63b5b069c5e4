/** Number formatting for the UI (units: ms, bits/s, pixels). */

/** `6.0 Mbit/s`, `850 kbit/s`. */
export function formatBitrate(bps: number | undefined): string {
  if (bps === undefined || !Number.isFinite(bps)) return '–';
  if (bps >= 1e6) return `${(bps / 1e6).toFixed(bps >= 1e7 ? 0 : 1)} Mbit/s`;
  if (bps >= 1e3) return `${Math.round(bps / 1e3)} kbit/s`;
  return `${Math.round(bps)} bit/s`;
}

/** `12.34 ms` with precision adapted to the size. */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/** `1 234 567` style grouping. */
export function formatCount(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '–';
  return Math.round(n).toLocaleString('en-US');
}

/** `4.2 KB`, `1.3 MB`. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${n} B`;
}

/** `1280 × 720`. */
export function formatSize(width: number, height: number): string {
  return `${width} × ${height}`;
}

/** `0.4 %`. */
export function formatPercent(p: number | undefined): string {
  if (p === undefined || !Number.isFinite(p)) return '–';
  return `${p < 10 ? p.toFixed(1) : p.toFixed(0)} %`;
}

/** Human label of a stage name. */
export const STAGE_LABELS = {
  render: 'Render',
  convert: 'Convert',
  readback: 'Readback',
  encode: 'Encode',
  send: 'Send',
} as const;

/** Colour of each stage in every chart and legend. */
export const STAGE_COLORS = {
  render: '#6e8efb',
  convert: '#a371f7',
  readback: '#39c5bb',
  encode: '#f0883e',
  send: '#e3b341',
} as const;
