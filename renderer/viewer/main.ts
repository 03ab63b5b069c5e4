/**
 * The viewer page: plays the server's WHEP stream in the page's `<video>`, shows a one-line status
 * and exposes `window.zerocastViewer` for tests.
 *
 * URL parameters: `token` (bearer token for WHEP), `whep` (endpoint URL; default `whep` relative
 * to the page).
 */
import { WhepPlayer, type PlayerState, type PlayerStats } from './whep-player.ts';

/** The test hooks on `window.zerocastViewer`. */
export interface ZerocastViewerHooks {
  /** `connecting`, `playing`, `error` or `stopped`. */
  readonly state: PlayerState;
  /** Frames decoded so far (all sessions). */
  framesDecoded(): number;
  /** Frames presented (requestVideoFrameCallback), 0 where unsupported. */
  framesPresented(): number;
  /** Counters of the player. */
  stats(): PlayerStats;
  /** The current WHEP session URL. */
  readonly sessionUrl: string | undefined;
  /** The last error message. */
  readonly lastError: string | undefined;
  /** Stops playing and DELETEs the session. */
  stop(): void;
  /** Starts again after {@link stop}. */
  start(): void;
}

declare global {
  interface Window {
    zerocastViewer: ZerocastViewerHooks;
  }
}

const params = new URLSearchParams(location.search);
const video = document.getElementById('video') as HTMLVideoElement;
const status = document.getElementById('status') as HTMLElement;

const player = new WhepPlayer({
  endpoint: params.get('whep') ?? 'whep',
  token: params.get('token') ?? undefined,
  video,
  onState(state, detail) {
    status.dataset.state = state;
    status.textContent = detail;
  },
});

window.zerocastViewer = {
  get state() {
    return player.state;
  },
  framesDecoded: () => player.framesDecoded(),
  framesPresented: () => player.stats.framesPresented,
  stats: () => ({ ...player.stats, framesDecoded: player.framesDecoded() }),
  get sessionUrl() {
    return player.sessionUrl;
  },
  get lastError() {
    return player.lastError;
  },
  stop: () => player.stop(),
  start: () => player.start(),
};

video.addEventListener('resize', () => {
  if (player.state === 'playing')
    status.textContent = `playing ${video.videoWidth}×${video.videoHeight}`;
});

player.start();
