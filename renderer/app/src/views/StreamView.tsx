/** Stream settings (applied live with PATCH /api/settings), the encoder chain and the GPU adapter. */
import { useState } from 'react';
import type { SettingsPatch, Status } from '../../../../main/api/schema.ts';
import { SettingsPatch as PatchSchema, describeIssues } from '../../../../main/api/schema.ts';
import { client } from '../api.ts';
import { formatBitrate, formatSize } from '../format.ts';
import { IconCheck, IconCross } from '../components/icons.tsx';
import { Badge, Panel } from '../components/ui.tsx';
import type { ViewProps } from './ScenesView.tsx';

const SIZES: [number, number, string][] = [
  [640, 360, '360p'],
  [854, 480, '480p'],
  [1280, 720, '720p'],
  [1600, 900, '900p'],
  [1920, 1080, '1080p'],
  [2560, 1440, '1440p'],
  [3840, 2160, '4K UHD'],
];
const FPS = [24, 25, 30, 50, 60, 90, 120, 144, 240];
const BITRATE_PRESETS = [1, 2.5, 6, 12, 25];

interface Form {
  size: string;
  width: string;
  height: string;
  fps: string;
  bitrateMbps: string;
  keyframeSeconds: string;
}

function formOf(s: Status['settings']): Form {
  const size = SIZES.some(([w, h]) => w === s.width && h === s.height)
    ? `${s.width}x${s.height}`
    : 'custom';
  return {
    size,
    width: String(s.width),
    height: String(s.height),
    fps: String(s.fps),
    bitrateMbps: String(Math.round((s.bitrate / 1e6) * 1000) / 1000),
    keyframeSeconds: String(Math.round((s.keyframeInterval / s.fps) * 100) / 100),
  };
}

/** The settings patch that turns `current` into `form` (only what changed). */
function patchOf(form: Form, current: Status['settings']): SettingsPatch {
  const patch: Record<string, number> = {};
  const width = Number(form.width);
  const height = Number(form.height);
  if (width !== current.width || height !== current.height) {
    patch.width = width;
    patch.height = height;
  }
  const fps = Number(form.fps);
  if (fps !== current.fps) patch.fps = fps;
  const bitrate = Math.round(Number(form.bitrateMbps) * 1e6);
  if (bitrate !== current.bitrate) patch.bitrate = bitrate;
  const kfi = Math.max(1, Math.round(Number(form.keyframeSeconds) * fps));
  if (kfi !== current.keyframeInterval) patch.keyframeInterval = kfi;
  return patch as SettingsPatch;
}

/** The stream settings view. */
export function StreamView({ status, onStatus }: ViewProps) {
  /** The user's edits; undefined while the form follows the server. */
  const [draft, setDraft] = useState<Form>();
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ tone: 'ok' | 'bad'; text: string }>();
  const current = status?.settings;

  if (!status || !current) {
    return (
      <Panel title="Stream" subtitle="Connecting to the server…" testId="view-stream">
        <div className="skeleton" />
      </Panel>
    );
  }

  const form = draft ?? formOf(current);
  const patch = patchOf(form, current);
  const dirty = Object.keys(patch).length > 0;
  const check = dirty ? PatchSchema.safeParse(patch) : undefined;
  const invalid = check && !check.success ? describeIssues(check.error) : undefined;
  const update = (changes: Partial<Form>) => {
    setMessage(undefined);
    setDraft({ ...form, ...changes });
  };

  const apply = async () => {
    setBusy(true);
    try {
      const next = await client.patchSettings(patch);
      onStatus(next);
      setDraft(undefined);
      setMessage({ tone: 'ok', text: 'Applied live — viewers stay connected' });
    } catch (e) {
      setMessage({ tone: 'bad', text: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };

  const chain = status.encoder.chain;
  return (
    <div className="stack">
      <Panel
        title="Stream"
        subtitle="Applied live, without a restart. Size and frame rate changes start a new keyframe."
        testId="view-stream"
      >
        <form
          className="settings-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (dirty && !invalid) void apply();
          }}
        >
          <div className="form-row">
            <label className="field">
              <span className="field-label">Resolution</span>
              <select
                value={form.size}
                data-testid="setting-size"
                onChange={(e) => {
                  const v = e.target.value;
                  if (v === 'custom') update({ size: v });
                  else {
                    const [w, h] = v.split('x');
                    update({ size: v, width: w!, height: h! });
                  }
                }}
              >
                {SIZES.map(([w, h, label]) => (
                  <option key={label} value={`${w}x${h}`}>
                    {`${w} × ${h}  (${label})`}
                  </option>
                ))}
                <option value="custom">Custom…</option>
              </select>
            </label>
            {form.size === 'custom' ? (
              <div className="field field-pair">
                <span className="field-label">Width × height (px, even)</span>
                <div className="pair">
                  <input
                    type="number"
                    min={64}
                    max={7680}
                    step={2}
                    value={form.width}
                    onChange={(e) => update({ width: e.target.value })}
                    data-testid="setting-width"
                  />
                  <span>×</span>
                  <input
                    type="number"
                    min={64}
                    max={4320}
                    step={2}
                    value={form.height}
                    onChange={(e) => update({ height: e.target.value })}
                    data-testid="setting-height"
                  />
                </div>
              </div>
            ) : null}
            <label className="field">
              <span className="field-label">Frame rate</span>
              <select
                value={form.fps}
                onChange={(e) => update({ fps: e.target.value })}
                data-testid="setting-fps"
              >
                {[...new Set([...FPS, current.fps])]
                  .sort((a, b) => a - b)
                  .map((f) => (
                    <option key={f} value={String(f)}>
                      {f} fps
                    </option>
                  ))}
              </select>
            </label>
          </div>
          <label className="field">
            <span className="field-label">
              Bitrate{' '}
              <span className="field-value">{formatBitrate(Number(form.bitrateMbps) * 1e6)}</span>
            </span>
            <div className="bitrate-row">
              <input
                type="range"
                min={0.25}
                max={25}
                step={0.25}
                value={Math.min(25, Number(form.bitrateMbps) || 0)}
                onChange={(e) => update({ bitrateMbps: e.target.value })}
                aria-label="Bitrate slider"
              />
              <div className="input-unit">
                <input
                  type="number"
                  min={0.05}
                  max={200}
                  step="any"
                  value={form.bitrateMbps}
                  onChange={(e) => update({ bitrateMbps: e.target.value })}
                  data-testid="setting-bitrate"
                />
                <span>Mbit/s</span>
              </div>
            </div>
            <div className="chips">
              {BITRATE_PRESETS.map((m) => (
                <button
                  key={m}
                  type="button"
                  className={`chip ${Number(form.bitrateMbps) === m ? 'chip-on' : ''}`}
                  onClick={() => update({ bitrateMbps: String(m) })}
                >
                  {m} Mbit/s
                </button>
              ))}
            </div>
          </label>
          <label className="field">
            <span className="field-label">Keyframe interval</span>
            <div className="input-unit narrow">
              <input
                type="number"
                min={0.05}
                step="any"
                value={form.keyframeSeconds}
                onChange={(e) => update({ keyframeSeconds: e.target.value })}
                data-testid="setting-keyframe"
              />
              <span>s</span>
              <span className="muted">
                = {Math.max(1, Math.round(Number(form.keyframeSeconds) * Number(form.fps)))} frames
              </span>
            </div>
          </label>
          <div className="form-actions">
            <button
              type="submit"
              className="btn btn-primary"
              disabled={!dirty || !!invalid || busy}
              data-testid="settings-apply"
            >
              {busy ? 'Applying…' : 'Apply'}
            </button>
            <button
              type="button"
              className="btn"
              disabled={!dirty || busy}
              onClick={() => {
                setDraft(undefined);
                setMessage(undefined);
              }}
            >
              Revert
            </button>
            {invalid ? <span className="form-msg tone-bad">{invalid}</span> : null}
            {!invalid && message ? (
              <span className={`form-msg tone-${message.tone}`} data-testid="settings-message">
                {message.text}
              </span>
            ) : null}
            {!invalid && !message ? (
              <span className="form-msg muted">
                {formatSize(current.width, current.height)} · {current.fps} fps ·{' '}
                {formatBitrate(current.bitrate)} on air
              </span>
            ) : null}
          </div>
        </form>
      </Panel>
      <div className="two-col">
        <Panel title="Encoder" subtitle="H.264 constrained baseline" testId="encoder-panel">
          <div className="encoder-name">
            <span>{status.encoder.name}</span>
            <Badge tone="ok">in use</Badge>
          </div>
          <ol className="chain" data-testid="encoder-chain">
            {chain.map((a, i) => (
              <li key={`${a.name}-${i}`} className={a.ok ? 'ok' : 'skipped'}>
                <span className="chain-icon">
                  {a.ok ? <IconCheck size={14} /> : <IconCross size={14} />}
                </span>
                <div>
                  <div className="chain-name">{a.name}</div>
                  <div className="chain-reason">
                    {a.ok ? 'selected' : (a.reason ?? 'not available')}
                  </div>
                </div>
              </li>
            ))}
          </ol>
        </Panel>
        <Panel title="GPU" subtitle="Renders and converts every frame" testId="adapter-panel">
          <dl className="kv">
            <dt>Adapter</dt>
            <dd>{status.adapter.name}</dd>
            <dt>Backend</dt>
            <dd>{status.adapter.backend}</dd>
            <dt>Device</dt>
            <dd>
              {status.adapter.deviceType}
              {status.adapter.software ? (
                <>
                  {' '}
                  <Badge tone="warn">software</Badge>
                </>
              ) : null}
            </dd>
          </dl>
        </Panel>
      </div>
    </div>
  );
}
