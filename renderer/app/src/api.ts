/**
 * The UI's connection to its server: the same origin the UI was loaded from (the headless server
 * serves it at /app/; the desktop app loads it from its embedded server), with the bearer token
 * taken from the page's `?token=` parameter.
 */
import { ZerocastClient } from '../../../main/api/client.ts';
import type { DesktopBridge } from '../../../main/desktop/ipc.ts';

declare global {
  interface Window {
    /** Present in the desktop app only (main/desktop/preload.ts). */
    zerocast?: DesktopBridge;
  }
}

/** The bearer token from the page URL, if any. */
export const token: string | undefined =
  new URLSearchParams(location.search).get('token') ?? undefined;

/** The API client of this page. */
export const client = new ZerocastClient({ baseUrl: location.origin, token });

/** The desktop bridge when running in the Electron app. */
export const desktop: DesktopBridge | undefined = window.zerocast;

/** `url` with the page's token appended as `?token=` (for links handed to viewers). */
export function withToken(url: string): string {
  if (!token) return url;
  const u = new URL(url, location.href);
  u.searchParams.set('token', token);
  return u.href;
}
