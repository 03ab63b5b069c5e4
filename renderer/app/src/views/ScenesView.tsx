/** Scene picker: the built-in scenes with thumbnails, and opening a .glb model. */
import { useRef, useState } from 'react';
import type { SceneInfo, Status } from '../../../../main/api/schema.ts';
import { MODEL_MAX_BYTES } from '../../../../main/api/schema.ts';
import { client, desktop } from '../api.ts';
import { useScenes, useThumbnail } from '../hooks.ts';
import { IconCheck, IconUpload } from '../components/icons.tsx';
import { Badge, Panel } from '../components/ui.tsx';

/** Props shared by the views. */
export interface ViewProps {
  status: Status | undefined;
  onStatus: (s: Status) => void;
}

function SceneCard(props: {
  scene: SceneInfo;
  active: boolean;
  busy: boolean;
  onPick: () => void;
}) {
  const thumb = useThumbnail(props.scene.name);
  return (
    <button
      type="button"
      className={`scene-card ${props.active ? 'active' : ''}`}
      onClick={props.onPick}
      disabled={props.busy}
      data-testid={`scene-${props.scene.name}`}
      aria-pressed={props.active}
    >
      <div className="scene-thumb">
        {thumb ? <img src={thumb} alt="" /> : <div className="thumb-loading" />}
        {props.active ? (
          <span className="scene-live">
            <IconCheck size={14} /> On air
          </span>
        ) : null}
      </div>
      <div className="scene-meta">
        <div className="scene-name">{props.scene.name}</div>
        <div className="scene-desc">{props.scene.description}</div>
      </div>
    </button>
  );
}

/** The scene picker view. */
export function ScenesView({ status, onStatus }: ViewProps) {
  const { scenes, error: listError } = useScenes();
  const [busy, setBusy] = useState<string>();
  const [message, setMessage] = useState<{ tone: 'ok' | 'bad'; text: string }>();
  const file = useRef<HTMLInputElement>(null);
  const current = status?.settings.scene;
  const builtIn = new Set(scenes?.map((s) => s.name));
  const modelActive = current !== undefined && scenes !== undefined && !builtIn.has(current);

  const pick = async (name: string) => {
    setBusy(name);
    setMessage(undefined);
    try {
      onStatus(await client.patchSettings({ scene: name }));
    } catch (e) {
      setMessage({ tone: 'bad', text: (e as Error).message });
    } finally {
      setBusy(undefined);
    }
  };

  const upload = async (f: File) => {
    setBusy('model');
    setMessage(undefined);
    try {
      if (f.size > MODEL_MAX_BYTES) throw new Error(`${f.name} is larger than 256 MiB`);
      onStatus(await client.uploadModel(f));
      setMessage({ tone: 'ok', text: `${f.name} is on air` });
    } catch (e) {
      setMessage({ tone: 'bad', text: `Could not load ${f.name}: ${(e as Error).message}` });
    } finally {
      setBusy(undefined);
    }
  };

  const openModel = async () => {
    if (!desktop) {
      file.current?.click();
      return;
    }
    setBusy('model');
    setMessage(undefined);
    try {
      const r = await desktop.openModelFile();
      if (!r.canceled) {
        onStatus(r.status);
        setMessage({ tone: 'ok', text: `${r.name} is on air` });
      }
    } catch (e) {
      setMessage({ tone: 'bad', text: `Could not load the model: ${(e as Error).message}` });
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <Panel
      title="Scenes"
      subtitle="Pick what goes on air. Changes apply to every viewer at once."
      testId="view-scenes"
    >
      {listError && !scenes ? <div className="notice notice-bad">{listError}</div> : null}
      <div className="scene-grid">
        {(scenes ?? []).map((s) => (
          <SceneCard
            key={s.name}
            scene={s}
            active={s.name === current}
            busy={busy !== undefined}
            onPick={() => void pick(s.name)}
          />
        ))}
        <button
          type="button"
          className={`scene-card model-card ${modelActive ? 'active' : ''}`}
          onClick={() => void openModel()}
          disabled={busy !== undefined}
          data-testid="open-model"
        >
          <div className="scene-thumb model-drop">
            <IconUpload size={28} />
            <span>{busy === 'model' ? 'Loading model…' : 'Open a .glb model'}</span>
            {modelActive ? (
              <span className="scene-live">
                <IconCheck size={14} /> On air
              </span>
            ) : null}
          </div>
          <div className="scene-meta">
            <div className="scene-name">{modelActive ? current : 'Your model'}</div>
            <div className="scene-desc">
              Binary glTF 2.0, up to 256 MiB, lit and framed automatically
            </div>
          </div>
        </button>
      </div>
      <input
        ref={file}
        type="file"
        accept=".glb,model/gltf-binary"
        hidden
        data-testid="model-input"
        onChange={(e) => {
          const f = e.target.files?.[0];
          e.target.value = '';
          if (f) void upload(f);
        }}
      />
      {message ? (
        <div className={`notice notice-${message.tone}`} role="status" data-testid="scene-message">
          {message.text}
        </div>
      ) : null}
      {scenes && current ? (
        <div className="scene-footer">
          <Badge tone="muted">On air</Badge>
          <span>{current}</span>
        </div>
      ) : null}
    </Panel>
  );
}
