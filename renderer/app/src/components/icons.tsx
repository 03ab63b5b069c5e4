/** Inline SVG icons (24×24 stroke icons), so the UI has no icon font or image dependency. */
import type { ReactElement } from 'react';

type IconProps = { size?: number };

function svg(path: ReactElement, size = 18): ReactElement {
  return (
    <svg
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth={1.8}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
    >
      {path}
    </svg>
  );
}

/** Scenes (cube). */
export const IconScenes = ({ size }: IconProps) =>
  svg(
    <>
      <path d="M12 2.5 3.5 7v10L12 21.5 20.5 17V7z" />
      <path d="M3.5 7 12 11.5 20.5 7M12 11.5v10" />
    </>,
    size,
  );
/** Stream settings (sliders). */
export const IconStream = ({ size }: IconProps) =>
  svg(
    <>
      <path d="M4 6h10M18 6h2M4 12h4M12 12h8M4 18h12M20 18h0" />
      <circle cx="16" cy="6" r="2" />
      <circle cx="10" cy="12" r="2" />
      <circle cx="18" cy="18" r="2" />
    </>,
    size,
  );
/** Outputs (broadcast). */
export const IconOutputs = ({ size }: IconProps) =>
  svg(
    <>
      <circle cx="12" cy="12" r="2" />
      <path d="M16.2 7.8a6 6 0 0 1 0 8.4M7.8 16.2a6 6 0 0 1 0-8.4M19 5a10 10 0 0 1 0 14M5 19A10 10 0 0 1 5 5" />
    </>,
    size,
  );
/** Frame timing (bars over a clock). */
export const IconTiming = ({ size }: IconProps) =>
  svg(
    <>
      <path d="M4 20V10M9 20V4M14 20v-7M19 20V8" />
    </>,
    size,
  );
/** Copy. */
export const IconCopy = ({ size }: IconProps) =>
  svg(
    <>
      <rect x="8" y="8" width="12" height="12" rx="2" />
      <path d="M16 8V6a2 2 0 0 0-2-2H6a2 2 0 0 0-2 2v8a2 2 0 0 0 2 2h2" />
    </>,
    size,
  );
/** Check mark. */
export const IconCheck = ({ size }: IconProps) => svg(<path d="m5 12.5 4.5 4.5L19 7.5" />, size);
/** Cross. */
export const IconCross = ({ size }: IconProps) => svg(<path d="M6 6l12 12M18 6 6 18" />, size);
/** Upload / open file. */
export const IconUpload = ({ size }: IconProps) =>
  svg(
    <>
      <path d="M12 16V4M7 9l5-5 5 5" />
      <path d="M4 16v3a1 1 0 0 0 1 1h14a1 1 0 0 0 1-1v-3" />
    </>,
    size,
  );
/** Pause. */
export const IconPause = ({ size }: IconProps) => svg(<path d="M8 5v14M16 5v14" />, size);
/** Play. */
export const IconPlay = ({ size }: IconProps) => svg(<path d="M7 4.5v15l12-7.5z" />, size);
/** Download. */
export const IconDownload = ({ size }: IconProps) =>
  svg(
    <>
      <path d="M12 4v12M7 11l5 5 5-5" />
      <path d="M4 20h16" />
    </>,
    size,
  );
/** Eye (reveal). */
export const IconEye = ({ size }: IconProps) =>
  svg(
    <>
      <path d="M2 12s3.5-7 10-7 10 7 10 7-3.5 7-10 7S2 12 2 12z" />
      <circle cx="12" cy="12" r="3" />
    </>,
    size,
  );
/** Link. */
export const IconLink = ({ size }: IconProps) =>
  svg(
    <>
      <path d="M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1" />
      <path d="M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1" />
    </>,
    size,
  );
