/**
 * A small WHEP player (draft-ietf-wish-whep) for browsers: RTCPeerConnection with one receive-only
 * video transceiver (H.264 preferred), non-trickle offer/answer over HTTP, reconnect with back-off
 * on failure, frame counters for tests and the status line.
 */

/** What the player is doing. */
export type PlayerState = 'connecting' | 'playing' | 'error' | 'stopped';

/** Options of {@link WhepPlayer}. */
export interface WhepPlayerOptions {
  /** WHEP endpoint URL (absolute, or relative to the page). */
  endpoint: string;
  /** Bearer token sent with the WHEP requests, if any. */
  token?: string;
  /** The element the stream plays in. */
  video: HTMLVideoElement;
  /** Called on every state change, with a human-readable detail. */
  onState?: (state: PlayerState, detail: string) => void;
  /** Longest wait for ICE gathering before posting the offer, ms. Default 1000. */
  gatherTimeoutMs?: number;
  /** Seconds without a decoded frame, while playing, before reconnecting. Default 6. */
  stallSeconds?: number;
}

/** Counters of the current and past sessions. */
export interface PlayerStats {
  /** Frames decoded over every session (inbound-rtp `framesDecoded`, summed). */
  framesDecoded: number;
  /** Frames presented (counted with requestVideoFrameCallback where the browser has it). */
  framesPresented: number;
  /** Packets received / lost in the current session (inbound-rtp). */
  packetsReceived: number;
  packetsLost: number;
  /** NACKs and PLIs the browser sent in the current session. */
  nackCount: number;
  pliCount: number;
  /** Codec of the current session, e.g. `video/H264`. */
  codec: string;
  /** Sessions started after the first one. */
  reconnects: number;
}

/** Plays one WHEP stream into a video element and keeps it playing. */
export class WhepPlayer {
  /** Current state. */
  state: PlayerState = 'stopped';
  /** The WHEP session URL (from `Location`) of the current session. */
  sessionUrl: string | undefined;
  /** The last error message, if any. */
  lastError: string | undefined;
  readonly stats: PlayerStats = {
    framesDecoded: 0,
    framesPresented: 0,
    packetsReceived: 0,
    packetsLost: 0,
    nackCount: 0,
    pliCount: 0,
    codec: '',
    reconnects: 0,
  };
  private pc: RTCPeerConnection | undefined;
  private generation = 0;
  private decodedBase = 0;
  private decodedCurrent = 0;
  private lastProgress = 0;
  private retryDelay = 1000;
  private timers: number[] = [];
  private started = false;

  constructor(private readonly opts: WhepPlayerOptions) {
    this.countPresentedFrames();
    window.addEventListener('pagehide', () => this.deleteSession(true));
  }

  /** Starts playing (and reconnecting as needed) until {@link stop}. */
  start(): void {
    if (this.started) return;
    this.started = true;
    void this.connect();
  }

  /** Stops playing and ends the WHEP session (DELETE). */
  stop(): void {
    this.started = false;
    this.generation += 1;
    this.teardown();
    this.setState('stopped', 'stopped');
  }

  /** Frames decoded so far, over every session. */
  framesDecoded(): number {
    return this.decodedBase + this.decodedCurrent;
  }

  private setState(state: PlayerState, detail: string): void {
    this.state = state;
    this.opts.onState?.(state, detail);
  }

  private async connect(): Promise<void> {
    const gen = ++this.generation;
    this.teardown();
    this.setState('connecting', 'connecting…');
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    this.pc = pc;
    try {
      const transceiver = pc.addTransceiver('video', { direction: 'recvonly' });
      preferH264(transceiver);
      pc.ontrack = (ev) => {
        const video = this.opts.video;
        video.srcObject = ev.streams[0] ?? new MediaStream([ev.track]);
        void video.play().catch(() => undefined);
      };
      pc.onconnectionstatechange = () => {
        if (gen !== this.generation) return;
        const st = pc.connectionState;
        if (st === 'failed') this.fail(gen, 'connection failed');
        else if (st === 'disconnected') {
          this.later(() => {
            if (gen === this.generation && pc.connectionState === 'disconnected') {
              this.fail(gen, 'connection lost');
            }
          }, 4000);
        }
      };
      await pc.setLocalDescription(await pc.createOffer());
      await waitForGathering(pc, this.opts.gatherTimeoutMs ?? 1000);
      const offer = pc.localDescription?.sdp ?? '';
      const headers: Record<string, string> = { 'Content-Type': 'application/sdp' };
      if (this.opts.token) headers.Authorization = `Bearer ${this.opts.token}`;
      const endpoint = new URL(this.opts.endpoint, location.href);
      const res = await fetch(endpoint, { method: 'POST', headers, body: offer });
      if (gen !== this.generation) return;
      if (res.status !== 201) {
        const message = await errorMessage(res);
        this.fail(gen, res.status === 409 ? `waiting for the stream (${message})` : message);
        return;
      }
      const location_ = res.headers.get('Location');
      this.sessionUrl = location_ ? new URL(location_, endpoint).href : undefined;
      await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
      this.lastProgress = performance.now();
      this.pollStats(gen, pc);
    } catch (err) {
      this.fail(gen, err instanceof Error ? err.message : String(err));
    }
  }

  private fail(gen: number, message: string): void {
    if (gen !== this.generation || !this.started) return;
    this.lastError = message;
    this.generation += 1;
    this.teardown();
    const delay = this.retryDelay;
    this.retryDelay = Math.min(this.retryDelay * 2, 10_000);
    this.setState('error', `${message} — retrying in ${Math.round(delay / 1000)} s`);
    this.later(() => {
      if (!this.started) return;
      this.stats.reconnects += 1;
      void this.connect();
    }, delay);
  }

  private teardown(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    this.deleteSession(false);
    if (this.pc) {
      this.pc.ontrack = null;
      this.pc.onconnectionstatechange = null;
      this.pc.close();
      this.pc = undefined;
    }
    this.decodedBase += this.decodedCurrent;
    this.decodedCurrent = 0;
  }

  private deleteSession(keepalive: boolean): void {
    const url = this.sessionUrl;
    this.sessionUrl = undefined;
    if (!url) return;
    const headers: Record<string, string> = {};
    if (this.opts.token) headers.Authorization = `Bearer ${this.opts.token}`;
    void fetch(url, { method: 'DELETE', headers, keepalive }).catch(() => undefined);
  }

  private later(fn: () => void, ms: number): void {
    this.timers.push(window.setTimeout(fn, ms));
  }

  private pollStats(gen: number, pc: RTCPeerConnection): void {
    const tick = async (): Promise<void> => {
      if (gen !== this.generation) return;
      try {
        const report = await pc.getStats();
        let codecId: string | undefined;
        report.forEach((s: Record<string, unknown>) => {
          if (s.type === 'inbound-rtp' && s.kind === 'video') {
            const decoded = Number(s.framesDecoded ?? 0);
            if (decoded > this.decodedCurrent) this.lastProgress = performance.now();
            this.decodedCurrent = decoded;
            this.stats.packetsReceived = Number(s.packetsReceived ?? 0);
            this.stats.packetsLost = Number(s.packetsLost ?? 0);
            this.stats.nackCount = Number(s.nackCount ?? 0);
            this.stats.pliCount = Number(s.pliCount ?? 0);
            codecId = s.codecId as string | undefined;
          }
        });
        if (codecId) this.stats.codec = String(report.get(codecId)?.mimeType ?? '');
        this.stats.framesDecoded = this.framesDecoded();
        if (gen !== this.generation) return;
        const video = this.opts.video;
        if (this.decodedCurrent > 0 && this.state !== 'playing') {
          this.retryDelay = 1000;
          this.setState('playing', `playing ${video.videoWidth}×${video.videoHeight}`);
        }
        const stallMs = (this.opts.stallSeconds ?? 6) * 1000;
        if (performance.now() - this.lastProgress > stallMs) {
          this.fail(gen, this.decodedCurrent > 0 ? 'stream stalled' : 'no video received');
          return;
        }
      } catch {
        // getStats fails only while closing
      }
      this.later(() => void tick(), 250);
    };
    void tick();
  }

  private countPresentedFrames(): void {
    const video = this.opts.video as HTMLVideoElement & {
      requestVideoFrameCallback?: (cb: () => void) => number;
    };
    if (typeof video.requestVideoFrameCallback !== 'function') return;
    const onFrame = (): void => {
      this.stats.framesPresented += 1;
      video.requestVideoFrameCallback?.(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  }
}

/** Puts H.264 (packetization-mode=1 first) at the head of the transceiver's codec list. */
function preferH264(transceiver: RTCRtpTransceiver): void {
  const caps =
    typeof RTCRtpReceiver.getCapabilities === 'function'
      ? RTCRtpReceiver.getCapabilities('video')
      : null;
  if (!caps || typeof transceiver.setCodecPreferences !== 'function') return;
  const isH264 = (c: RTCRtpCodec): boolean => c.mimeType.toLowerCase() === 'video/h264';
  const pm1 = (c: RTCRtpCodec): boolean => /packetization-mode=1/.test(c.sdpFmtpLine ?? '');
  const h264 = caps.codecs.filter(isH264).sort((a, b) => Number(pm1(b)) - Number(pm1(a)));
  if (h264.length === 0) return;
  try {
    transceiver.setCodecPreferences([...h264, ...caps.codecs.filter((c) => !isH264(c))]);
  } catch {
    // keep the browser's default order
  }
}

function waitForGathering(pc: RTCPeerConnection, timeoutMs: number): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(resolve, timeoutMs);
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') {
        clearTimeout(t);
        resolve();
      }
    });
  });
}

async function errorMessage(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { error?: string };
    if (body.error) return `${res.status}: ${body.error}`;
  } catch {
    // not JSON
  }
  return `HTTP ${res.status}`;
}
