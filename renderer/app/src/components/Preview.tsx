/**
 * Live preview of the encoded stream: a WHEP session over loopback into a <video>, so the
 * presenter sees exactly what viewers see (same encoder output, same decoder path as a browser
 * viewer). Uses the viewer page's WHEP player (renderer/viewer/whep-player.ts).
 */
import { useEffect, useRef, useState } from 'react';
import type { Status } from '../../../../main/api/schema.ts';
import { WhepPlayer, type PlayerState } from '../../../viewer/whep-player.ts';
import { client, token } from '../api.ts';
import { formatBitrate, formatCount, formatSize } from '../format.ts';
import { Badge } from './ui.tsx';

declare global {
  interface Window {
    /** Test hooks of the preview player. */
    zerocastPreview?: { state(): PlayerState; framesDecoded(): number };
  }
}

const STATE_TEXT: Record<PlayerState, string> = {
  connecting: 'Connecting',
  playing: 'Live',
  error: 'Reconnecting',
  stopped: 'Stopped',
};

/** The preview card: video plus the stream's vital numbers. */
export function Preview(props: { status: Status | undefined; compact?: boolean }) {
  const video = useRef<HTMLVideoElement>(null);
  const [state, setState] = useState<PlayerState>('connecting');
  const [detail, setDetail] = useState('');
  const [decoded, setDecoded] = useState(0);

  useEffect(() => {
    const el = video.current;
    if (!el) return;
    const player = new WhepPlayer({
      endpoint: client.whepUrl(),
      token,
      video: el,
      onState(s, d) {
        setState(s);
        setDetail(d);
      },
    });
    player.start();
    window.zerocastPreview = {
      state: () => player.state,
      framesDecoded: () => player.framesDecoded(),
    };
    const t = setInterval(() => setDecoded(player.framesDecoded()), 1000);
    return () => {
      clearInterval(t);
      player.stop();
      delete window.zerocastPreview;
    };
  }, []);

  const s = props.status;
  const me = s?.outputs.whep.viewers;
  const outgoing = me?.reduce((sum, v) => sum + v.bitrate, 0);
  return (
    <section className="preview panel" data-testid="preview">
      <div className="preview-frame">
        <video ref={video} muted playsInline autoPlay data-testid="preview-video" />
        {state !== 'playing' ? (
          <div className="preview-overlay">
            <div className="spinner" />
            <div>{state === 'error' ? detail || 'Reconnecting…' : 'Connecting to the stream…'}</div>
          </div>
        ) : null}
        <div className="preview-badges">
          <Badge tone={state === 'playing' ? 'live' : 'muted'}>
            {state === 'playing' ? '● LIVE' : STATE_TEXT[state]}
          </Badge>
          <Badge tone="muted">WHEP preview</Badge>
        </div>
      </div>
      <dl className="preview-stats">
        <div>
          <dt>Resolution</dt>
          <dd>{s ? formatSize(s.settings.width, s.settings.height) : '–'}</dd>
        </div>
        <div>
          <dt>Frame rate</dt>
          <dd data-testid="preview-fps">
            {s ? `${s.fps.toFixed(0)} / ${s.settings.fps} fps` : '–'}
          </dd>
        </div>
        <div>
          <dt>Target bitrate</dt>
          <dd>{formatBitrate(s?.settings.bitrate)}</dd>
        </div>
        <div>
          <dt>Sent to viewers</dt>
          <dd data-testid="preview-outgoing">{formatBitrate(outgoing)}</dd>
        </div>
        {props.compact ? null : (
          <>
            <div>
              <dt>Frames decoded here</dt>
              <dd data-testid="preview-decoded">{formatCount(decoded)}</dd>
            </div>
            <div>
              <dt>Dropped by engine</dt>
              <dd>{formatCount(s?.framesDropped)}</dd>
            </div>
          </>
        )}
      </dl>
    </section>
  );
}
