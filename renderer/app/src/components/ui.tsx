/** Small shared building blocks: panels, stat tiles, copyable fields, badges. */
import { useState, type ReactNode } from 'react';
import { IconCheck, IconCopy, IconEye } from './icons.tsx';

/** A titled card. */
export function Panel(props: {
  title: string;
  subtitle?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
  testId?: string;
}) {
  return (
    <section className={`panel ${props.className ?? ''}`} data-testid={props.testId}>
      <header className="panel-head">
        <div>
          <h2>{props.title}</h2>
          {props.subtitle ? <p className="panel-sub">{props.subtitle}</p> : null}
        </div>
        {props.actions ? <div className="panel-actions">{props.actions}</div> : null}
      </header>
      <div className="panel-body">{props.children}</div>
    </section>
  );
}

/** A labelled number. */
export function Stat(props: {
  label: string;
  value: ReactNode;
  tone?: 'ok' | 'warn' | 'bad';
  hint?: ReactNode;
  testId?: string;
}) {
  return (
    <div className={`stat ${props.tone ? `tone-${props.tone}` : ''}`} data-testid={props.testId}>
      <div className="stat-label">{props.label}</div>
      <div className="stat-value">{props.value}</div>
      {props.hint ? <div className="stat-hint">{props.hint}</div> : null}
    </div>
  );
}

/** A read-only value with a copy button (and optional masking, for passwords). */
export function CopyField(props: {
  label: string;
  value: string;
  secret?: boolean;
  testId?: string;
}) {
  const [copied, setCopied] = useState(false);
  const [revealed, setRevealed] = useState(!props.secret);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.value);
    } catch {
      // Clipboard API refused (insecure context): select-and-copy fallback.
      const area = document.createElement('textarea');
      area.value = props.value;
      document.body.append(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  return (
    <div className="copy-field" data-testid={props.testId}>
      <div className="field-label">{props.label}</div>
      <div className="copy-row">
        <code className="copy-value" title={revealed ? props.value : undefined}>
          {revealed ? props.value : '•'.repeat(Math.min(12, props.value.length))}
        </code>
        {props.secret ? (
          <button
            className="icon-btn"
            type="button"
            aria-label={revealed ? 'Hide' : 'Reveal'}
            onClick={() => setRevealed((r) => !r)}
          >
            <IconEye size={16} />
          </button>
        ) : null}
        <button
          className={`btn btn-small ${copied ? 'btn-done' : ''}`}
          type="button"
          onClick={() => void copy()}
          data-testid={props.testId ? `${props.testId}-copy` : undefined}
        >
          {copied ? <IconCheck size={14} /> : <IconCopy size={14} />}
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
    </div>
  );
}

/** A small coloured label. */
export function Badge(props: {
  tone: 'live' | 'ok' | 'warn' | 'bad' | 'muted';
  children: ReactNode;
}) {
  return <span className={`badge badge-${props.tone}`}>{props.children}</span>;
}
