/**
 * The Zerocast UI shell: header with the live state, navigation between the four views (hash
 * routes `#/scenes`, `#/stream`, `#/outputs`, `#/timing`), and the live preview beside the
 * control views.
 */
import { useEffect, useState, type ReactElement } from 'react';
import { client, desktop } from './api.ts';
import { useStatus } from './hooks.ts';
import { formatBitrate, formatSize } from './format.ts';
import { IconOutputs, IconScenes, IconStream, IconTiming } from './components/icons.tsx';
import { Preview } from './components/Preview.tsx';
import { Badge } from './components/ui.tsx';
import { OutputsView } from './views/OutputsView.tsx';
import { ScenesView } from './views/ScenesView.tsx';
import { StreamView } from './views/StreamView.tsx';
import { TimingView } from './views/TimingView.tsx';

/** The views, in navigation order. */
const VIEWS = [
  { id: 'scenes', label: 'Scenes', icon: IconScenes },
  { id: 'stream', label: 'Stream', icon: IconStream },
  { id: 'outputs', label: 'Outputs', icon: IconOutputs },
  { id: 'timing', label: 'Timing', icon: IconTiming },
] as const;
type ViewId = (typeof VIEWS)[number]['id'];

function viewFromHash(): ViewId {
  const id = location.hash.replace(/^#\/?/, '');
  return VIEWS.some((v) => v.id === id) ? (id as ViewId) : 'scenes';
}

/** The application. */
export function App(): ReactElement {
  const [view, setView] = useState<ViewId>(viewFromHash);
  const { status, error, set } = useStatus(1000);

  useEffect(() => {
    const onHash = () => setView(viewFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  const viewers = status?.outputs.whep.viewers.length ?? 0;
  const rfbClients = status?.outputs.rfb?.clients ?? 0;
  const props = { status, onStatus: set };
  return (
    <div className="app" data-view={view}>
      <header className="topbar">
        <div className="brand">
          <svg width="26" height="26" viewBox="0 0 32 32" aria-hidden="true">
            <rect width="32" height="32" rx="8" fill="#5b8cff" />
            <path
              d="M9 10h14L9 22h14"
              stroke="white"
              strokeWidth="3"
              fill="none"
              strokeLinecap="round"
              strokeLinejoin="round"
            />
          </svg>
          <span>Zerocast</span>
        </div>
        <div className="topbar-status" data-testid="topbar-status">
          {status ? (
            <>
              <Badge tone={status.live ? 'live' : 'muted'}>
                {status.live ? '● LIVE' : 'Starting'}
              </Badge>
              <span className="topbar-scene">{status.settings.scene}</span>
              <span className="sep" />
              <span>{formatSize(status.settings.width, status.settings.height)}</span>
              <span className="sep" />
              <span>{status.settings.fps} fps</span>
              <span className="sep" />
              <span>{formatBitrate(status.settings.bitrate)}</span>
              <span className="sep" />
              <span>{status.encoder.name}</span>
            </>
          ) : (
            <Badge tone={error ? 'bad' : 'muted'}>
              {error ? 'Server unreachable' : 'Connecting…'}
            </Badge>
          )}
        </div>
        <div className="topbar-right">
          {status ? (
            <span className="adapter" title={status.adapter.name}>
              {status.adapter.name}
            </span>
          ) : null}
          <span className="viewers-pill">
            {viewers} {viewers === 1 ? 'viewer' : 'viewers'}
            {status?.outputs.rfb ? ` · ${rfbClients} VNC` : ''}
          </span>
        </div>
      </header>
      <nav className="sidebar">
        {VIEWS.map(({ id, label, icon: Icon }) => (
          <a
            key={id}
            href={`#/${id}`}
            className={`nav-item ${view === id ? 'active' : ''}`}
            data-testid={`nav-${id}`}
          >
            <Icon size={18} />
            <span>{label}</span>
          </a>
        ))}
        <div className="sidebar-foot">
          <div className="muted">{desktop ? 'Desktop app' : 'Server'}</div>
          <code>{new URL(client.baseUrl).host}</code>
          {error && status ? <div className="tone-bad">{error}</div> : null}
        </div>
      </nav>
      <main className={`content ${view === 'timing' ? 'content-full' : ''}`}>
        <div className="view">
          {view === 'scenes' ? <ScenesView {...props} /> : null}
          {view === 'stream' ? <StreamView {...props} /> : null}
          {view === 'outputs' ? <OutputsView {...props} /> : null}
          {view === 'timing' ? <TimingView {...props} /> : null}
        </div>
        <aside className="side">
          <Preview status={status} />
        </aside>
      </main>
    </div>
  );
}
