/**
 * The WebRTC output: one {@link ViewerSession} per WHEP viewer, all fed from the one shared
 * encoder through {@link StreamSource}. Signalling (HTTP) lives in main/server; this module only
 * turns an SDP offer into a session and an answer (draft-ietf-wish-whep section 4.2).
 *
 * Flow of an access unit: the engine calls `onAccessUnit` synchronously; the output copies the
 * bytes once, offers them to every session (an O(1) queue push each, no sending, no awaiting) and
 * schedules one macrotask that packetizes and sends per viewer. A viewer whose queue backs up is
 * dropped to the next IDR; a viewer that leaves is just removed. Neither stalls the others or the
 * engine.
 */
import { randomUUID } from 'node:crypto';
import type { IceServer, RtcConfig } from 'node-datachannel';
import type { AccessUnit, StreamSource } from '../../engine/contracts.ts';
import { parseWhepOffer, SdpError } from './sdp.ts';
import { ViewerSession, type ViewerStats } from './session.ts';

export type { ViewerStats, ViewerState } from './session.ts';
export { SdpError } from './sdp.ts';

/** Options of {@link WhepOutput}. All optional. */
export interface WhepOutputOptions {
  /**
   * STUN/TURN servers, as node-datachannel takes them (`'stun:host:port'` or objects). Default
   * none: host candidates are enough on loopback and a LAN.
   */
  iceServers?: (string | IceServer)[];
  /** Local address to bind ICE sockets to (default: all interfaces). */
  bindAddress?: string;
  /** UDP port range for ICE (default: the OS picks). */
  portRangeBegin?: number;
  portRangeEnd?: number;
  /** Maximum concurrent viewers; more get a 503. Default 32. */
  maxViewers?: number;
  /** Longest wait for ICE gathering before answering, ms. Default 5000. */
  gatherTimeoutMs?: number;
  /** Largest RTP payload (bytes) of the H.264 packetizer. Default 1200. */
  maxFragmentSize?: number;
  /** RTP packets kept per viewer for NACK retransmission. Default 1024. */
  nackBufferPackets?: number;
  /** Access units queued per viewer before it is dropped to the next IDR. Default 30. */
  maxQueuedFrames?: number;
  /** Shortest interval between keyframe requests (PLI/FIR) forwarded per viewer, ms. Default 500. */
  keyframeRequestIntervalMs?: number;
  /** A pino-style logger (fastify's `app.log` fits). Default: silent. */
  logger?: {
    info(obj: object, msg?: string): void;
    warn(obj: object, msg?: string): void;
  };
}

/** A WHEP session was refused; `status` is the HTTP status the server should answer with. */
export class WhepError extends Error {
  override readonly name = 'WhepError';
  /**
   * @param status 400 (bad offer), 409 (no live stream), 503 (viewer limit), 500 (internal).
   * @param message What went wrong, for the client.
   */
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The answer to an accepted offer. */
export interface WhepAnswer {
  /** Session id: the resource is `/whep/<id>`. */
  readonly id: string;
  /** The SDP answer (with ICE candidates; no trickle). */
  readonly sdp: string;
}

/**
 * WebRTC (node-datachannel) output behind a WHEP endpoint: one PeerConnection per viewer, a
 * send-only H.264 video track (RFC 6184 packetization-mode 1, profile-level-id 42e01f), RTP
 * timestamps at 90 kHz from each access unit's `ptsMs`, RTCP sender reports, NACKs answered from a
 * per-viewer retransmission buffer, PLI/FIR forwarded to `source.requestKeyframe`. A new viewer
 * gets an IDR first: the output asks for one when the viewer's track opens and sends it nothing
 * before it.
 *
 * @example
 * const whep = new WhepOutput(source);
 * const { id, sdp } = await whep.createSession(offerSdp); // 201, Location: /whep/<id>
 * whep.deleteSession(id);                                  // 204
 * await whep.close();
 */
export class WhepOutput {
  private readonly sessions = new Map<string, ViewerSession>();
  private readonly unsubscribe: () => void;
  private readonly statsTimer: NodeJS.Timeout;
  private readonly opts: Required<Omit<WhepOutputOptions, 'logger' | 'bindAddress'>> &
    Pick<WhepOutputOptions, 'bindAddress'>;
  private drainScheduled = false;
  /** Settles the promises returned by {@link onAccessUnit} once the next drain has sent them. */
  private pendingSent: (() => void)[] = [];
  private closed = false;

  /** Subscribes to `source` at once; call {@link close} to stop. */
  constructor(
    private readonly source: StreamSource,
    private readonly options: WhepOutputOptions = {},
  ) {
    this.opts = {
      iceServers: options.iceServers ?? [],
      bindAddress: options.bindAddress,
      portRangeBegin: options.portRangeBegin ?? 0,
      portRangeEnd: options.portRangeEnd ?? 0,
      maxViewers: options.maxViewers ?? 32,
      gatherTimeoutMs: options.gatherTimeoutMs ?? 5000,
      maxFragmentSize: options.maxFragmentSize ?? 1200,
      nackBufferPackets: options.nackBufferPackets ?? 1024,
      maxQueuedFrames: options.maxQueuedFrames ?? 30,
      keyframeRequestIntervalMs: options.keyframeRequestIntervalMs ?? 500,
    };
    this.unsubscribe = source.subscribe({ onAccessUnit: (au) => this.onAccessUnit(au) });
    this.statsTimer = setInterval(() => {
      for (const s of this.sessions.values()) s.sample();
    }, 1000);
    this.statsTimer.unref();
  }

  /** Number of open sessions (connecting or connected). */
  get viewerCount(): number {
    return this.sessions.size;
  }

  /** Whether a session with this id exists. */
  has(id: string): boolean {
    return this.sessions.has(id);
  }

  /**
   * Accepts a WHEP offer: validates it, creates the viewer's PeerConnection, waits for ICE
   * gathering and returns the answer.
   * @param offerSdp The body of `POST /whep` (`application/sdp`).
   * @throws WhepError 400 for an offer that is malformed or cannot be answered (no H.264 with
   *   packetization-mode=1, no receiving video section, rejected by libdatachannel), 409 while
   *   `!source.live`, 503 at the viewer limit or after {@link close}.
   */
  async createSession(offerSdp: string): Promise<WhepAnswer> {
    if (this.closed) throw new WhepError(503, 'the WHEP output is shutting down');
    let offer;
    try {
      offer = parseWhepOffer(offerSdp);
    } catch (err) {
      if (err instanceof SdpError) throw new WhepError(400, err.message);
      throw err;
    }
    if (!this.source.live) throw new WhepError(409, 'no live stream yet: try again shortly');
    if (this.sessions.size >= this.opts.maxViewers) {
      throw new WhepError(503, `viewer limit reached (${this.opts.maxViewers})`);
    }
    const id = randomUUID();
    let session: ViewerSession;
    try {
      session = new ViewerSession(id, offer, {
        rtcConfig: this.rtcConfig(),
        maxFragmentSize: this.opts.maxFragmentSize,
        nackBufferPackets: this.opts.nackBufferPackets,
        maxQueuedFrames: this.opts.maxQueuedFrames,
        keyframeRequestIntervalMs: this.opts.keyframeRequestIntervalMs,
        requestKeyframe: (reason) => this.source.requestKeyframe(reason),
        onClosed: (s) => {
          if (this.sessions.get(s.id) === s) this.sessions.delete(s.id);
        },
        log: (level, msg) => this.options.logger?.[level]({ whep: id }, msg),
      });
    } catch (err) {
      throw new WhepError(400, `SDP offer rejected: ${(err as Error).message}`);
    }
    this.sessions.set(id, session);
    try {
      const sdp = await session.answer(offer.sdp, this.opts.gatherTimeoutMs);
      return { id, sdp };
    } catch (err) {
      session.close('offer rejected');
      throw new WhepError(400, `SDP offer rejected: ${(err as Error).message}`);
    }
  }

  /**
   * Ends a session (WHEP `DELETE` on the session URL).
   * @returns false when there is no such session.
   */
  deleteSession(id: string): boolean {
    const s = this.sessions.get(id);
    if (!s) return false;
    s.close('deleted by the client');
    return true;
  }

  /** Statistics of every open session. */
  stats(): ViewerStats[] {
    return [...this.sessions.values()].map((s) => s.stats());
  }

  /** Statistics of one session, or undefined. */
  sessionStats(id: string): ViewerStats | undefined {
    return this.sessions.get(id)?.stats();
  }

  /**
   * Unsubscribes from the source and closes every session (their PeerConnections send DTLS close
   * alerts / RTCP BYE). Idempotent. Does not call node-datachannel's global `cleanup()`: other
   * users of the library may share the process.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    clearInterval(this.statsTimer);
    for (const s of [...this.sessions.values()]) s.close('server shutting down');
    this.sessions.clear();
    // Let libdatachannel's threads deliver the close callbacks.
    await new Promise((r) => setTimeout(r, 50));
  }

  private rtcConfig(): RtcConfig {
    const c: RtcConfig = { iceServers: this.opts.iceServers };
    if (this.opts.bindAddress) c.bindAddress = this.opts.bindAddress;
    if (this.opts.portRangeBegin > 0) c.portRangeBegin = this.opts.portRangeBegin;
    if (this.opts.portRangeEnd > 0) c.portRangeEnd = this.opts.portRangeEnd;
    return c;
  }

  /**
   * Queues `au` for every viewer and resolves once the next drain has packetized and sent it to
   * each of them (the engine's send stage); resolves at once without viewers.
   */
  private onAccessUnit(au: AccessUnit): Promise<void> | undefined {
    if (this.sessions.size === 0) return undefined;
    // One copy per access unit, shared by all viewers (the engine may reuse its buffer).
    const buf = Buffer.from(au.data);
    for (const s of this.sessions.values()) s.enqueue(au, buf);
    const sent = new Promise<void>((resolve) => this.pendingSent.push(resolve));
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      setImmediate(() => this.drain());
    }
    return sent;
  }

  private drain(): void {
    this.drainScheduled = false;
    for (const s of [...this.sessions.values()]) s.drain();
    const sent = this.pendingSent;
    this.pendingSent = [];
    for (const resolve of sent) resolve();
  }
}
