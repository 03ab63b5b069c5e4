/** Outputs: the WHEP link to share, RFB (VNC) access, and per-viewer RTCP statistics. */
import { withToken } from '../api.ts';
import { formatBitrate, formatCount, formatMs, formatPercent } from '../format.ts';
import { Badge, CopyField, Panel, Stat } from '../components/ui.tsx';
import type { ViewProps } from './ScenesView.tsx';

function since(ms: number | undefined): string {
  if (ms === undefined) return '–';
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** The outputs view. */
export function OutputsView({ status }: ViewProps) {
  if (!status) {
    return (
      <Panel title="Outputs" subtitle="Connecting to the server…" testId="view-outputs">
        <div className="skeleton" />
      </Panel>
    );
  }
  const { whep, rfb } = status.outputs;
  const viewers = whep.viewers;
  const viewerUrl = withToken(whep.viewerUrl ?? new URL('/', whep.url).href);
  const total = viewers.reduce((s, v) => s + v.bitrate, 0);
  return (
    <div className="stack">
      <Panel
        title="WebRTC (WHEP)"
        subtitle="Any browser plays the viewer link; any WHEP player takes the endpoint."
        actions={
          <Badge tone={status.live ? 'live' : 'muted'}>{status.live ? '● LIVE' : 'idle'}</Badge>
        }
        testId="view-outputs"
      >
        <div className="fields">
          <CopyField label="Viewer link" value={viewerUrl} testId="viewer-link" />
          <CopyField label="WHEP endpoint" value={whep.url} testId="whep-endpoint" />
        </div>
        <div className="stat-row">
          <Stat label="Viewers" value={viewers.length} testId="viewer-count" />
          <Stat label="Outgoing" value={formatBitrate(total)} testId="outgoing-bitrate" />
          <Stat label="Target / viewer" value={formatBitrate(status.settings.bitrate)} />
        </div>
        <table className="table" data-testid="viewer-table">
          <thead>
            <tr>
              <th>Viewer</th>
              <th className="num">Bitrate</th>
              <th className="num">RTT</th>
              <th className="num">Loss</th>
              <th className="num">NACKs</th>
              <th className="num">PLIs</th>
              <th className="num">Connected</th>
            </tr>
          </thead>
          <tbody>
            {viewers.length === 0 ? (
              <tr>
                <td colSpan={7} className="empty">
                  No viewers yet. Share the viewer link to go live to an audience.
                </td>
              </tr>
            ) : (
              viewers.map((v) => (
                <tr key={v.id}>
                  <td>
                    <div className="viewer-id">{v.id.slice(0, 8)}</div>
                    <div className="viewer-addr">{v.remoteAddress ?? v.state ?? ''}</div>
                  </td>
                  <td className="num">{formatBitrate(v.bitrate)}</td>
                  <td className="num">{formatMs(v.rttMs)}</td>
                  <td className={`num ${(v.lossPercent ?? 0) > 2 ? 'tone-bad' : ''}`}>
                    {formatPercent(v.lossPercent)}
                  </td>
                  <td className="num">{formatCount(v.nacks)}</td>
                  <td className="num">{formatCount(v.plis)}</td>
                  <td className="num">{since(v.connectedAt)}</td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </Panel>
      <Panel
        title="VNC (RFB)"
        subtitle="For VNC clients and noVNC; H.264 (encoding 50) with ZRLE fallback."
        actions={rfb ? <Badge tone="ok">on</Badge> : <Badge tone="muted">off</Badge>}
        testId="rfb-panel"
      >
        {rfb ? (
          <>
            <div className="fields">
              <CopyField label="Address" value={rfb.address} testId="rfb-address" />
              {rfb.websocketUrl ? (
                <CopyField
                  label="noVNC WebSocket"
                  value={rfb.websocketUrl}
                  testId="rfb-websocket"
                />
              ) : null}
              {rfb.password ? (
                <CopyField label="Password" value={rfb.password} secret testId="rfb-password" />
              ) : null}
            </div>
            <div className="stat-row">
              <Stat label="VNC clients" value={rfb.clients} testId="rfb-clients" />
            </div>
          </>
        ) : (
          <p className="muted">
            The VNC output is off. Start the server with <code>--rfb-port 5900</code> to serve VNC
            clients.
          </p>
        )}
      </Panel>
    </div>
  );
}
