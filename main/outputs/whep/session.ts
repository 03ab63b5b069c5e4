/**
 * One WHEP viewer: a libdatachannel PeerConnection (node-datachannel) with a send-only H.264
 * video track, its RTP packetizer chain (H264RtpPacketizer → RtcpSrReporter → RtcpNackResponder),
 * a small queue of access units, and the viewer's statistics.
 */
import {
  H264RtpPacketizer,
  PeerConnection,
  RtcpNackResponder,
  RtcpSrReporter,
  RtpPacketizationConfig,
  Video,
  type RtcConfig,
  type Track,
} from 'node-datachannel';
import type { AccessUnit } from '../../engine/contracts.ts';
import { splitAnnexB } from '../../encode/annexb.ts';
import { parseRtcp, rttFromReport } from './rtcp.ts';
import type { WhepOffer } from './sdp.ts';

/** Lifecycle of a viewer session. */
export type ViewerState = 'connecting' | 'connected' | 'disconnected' | 'closed';

/** Statistics of one viewer, for the status API and the UI. Counters start at 0. */
export interface ViewerStats {
  /** WHEP session id (the last path segment of its `Location`). */
  readonly id: string;
  readonly state: ViewerState;
  /** Remote `address:port` of the selected ICE candidate pair, once connected. */
  readonly remoteAddress?: string;
  /** When the session was created / its media track opened, ms since the Unix epoch. */
  readonly createdAt: number;
  readonly connectedAt?: number;
  /** RTP payload type and SSRC of the video stream. */
  readonly payloadType: number;
  readonly ssrc: number;
  /** Access units sent, of them IDRs, and access units not sent (waiting for an IDR). */
  readonly framesSent: number;
  readonly keyframesSent: number;
  readonly framesSkipped: number;
  /** Times the viewer was dropped to the next IDR because its queue backed up. */
  readonly resyncs: number;
  /** RTP packets sent (computed from the NAL unit sizes as libdatachannel fragments them). */
  readonly packetsSent: number;
  /** H.264 bytes handed to the packetizer. */
  readonly bytesSent: number;
  /** Video bitrate over the last stats interval, bits/s. */
  readonly bitrateBps: number;
  /** Generic NACK packets received and the RTP packets they asked for (RFC 4585). */
  readonly nacks: number;
  readonly nackedPackets: number;
  /** Picture loss indications (RFC 4585) and full intra requests (RFC 5104) received. */
  readonly plis: number;
  readonly firs: number;
  /** Round-trip time in ms: from RTCP receiver reports (RFC 3550 6.4.1), else ICE's estimate. */
  readonly rttMs?: number;
  /** From the latest RTCP receiver report: fraction lost (0..1), cumulative lost, jitter in ms. */
  readonly fractionLost?: number;
  readonly packetsLost?: number;
  readonly jitterMs?: number;
  /** Latest receiver estimated maximum bitrate (REMB), bits/s. */
  readonly rembBps?: number;
  /** Sends that libdatachannel reported as not done (e.g. transport not ready). */
  readonly sendFailures: number;
}

/** Settings a session takes from its {@link WhepOutput}. */
export interface SessionSettings {
  readonly rtcConfig: RtcConfig;
  /** Largest RTP payload of the H.264 packetizer, bytes. */
  readonly maxFragmentSize: number;
  /** RTP packets kept for NACK retransmission. */
  readonly nackBufferPackets: number;
  /** Access units queued for this viewer before it is dropped to the next IDR. */
  readonly maxQueuedFrames: number;
  /** Shortest interval between keyframe requests forwarded for one viewer, ms. */
  readonly keyframeRequestIntervalMs: number;
  /** Forwards a keyframe request to the shared encoder. */
  readonly requestKeyframe: (reason: string) => void;
  /** Called once when the session ends (any cause). */
  readonly onClosed: (session: ViewerSession) => void;
  readonly log: (level: 'info' | 'warn', msg: string) => void;
}

interface Queued {
  readonly au: AccessUnit;
  readonly buf: Buffer;
}

/** One viewer's WebRTC session. Created by {@link WhepOutput.createSession}. */
export class ViewerSession {
  readonly id: string;
  readonly createdAt = Date.now();
  readonly payloadType: number;
  readonly ssrc: number;
  private readonly pc: PeerConnection;
  private readonly track: Track;
  private readonly rtpConfig: RtpPacketizationConfig;
  private readonly timestampBase: number;
  private state: ViewerState = 'connecting';
  private trackOpen = false;
  private waitingForIdr = true;
  private queue: Queued[] = [];
  private lastKeyframeRequest = 0;
  private disconnectTimer: NodeJS.Timeout | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private lastSample = { at: Date.now(), bytes: 0 };
  private readonly s = {
    connectedAt: undefined as number | undefined,
    remoteAddress: undefined as string | undefined,
    framesSent: 0,
    keyframesSent: 0,
    framesSkipped: 0,
    resyncs: 0,
    packetsSent: 0,
    bytesSent: 0,
    bitrateBps: 0,
    nacks: 0,
    nackedPackets: 0,
    plis: 0,
    firs: 0,
    rttMs: undefined as number | undefined,
    fractionLost: undefined as number | undefined,
    packetsLost: undefined as number | undefined,
    jitterMs: undefined as number | undefined,
    rembBps: undefined as number | undefined,
    sendFailures: 0,
  };

  /**
   * Creates the PeerConnection and track for a validated offer and applies the offer; the answer
   * is available from {@link answer} once ICE gathering completes.
   * @throws Error when libdatachannel rejects the offer (the caller maps it to 400).
   */
  constructor(
    id: string,
    offer: WhepOffer,
    private readonly settings: SessionSettings,
  ) {
    this.id = id;
    this.payloadType = offer.h264.payloadType;
    this.ssrc = (Math.random() * 0xfffffff0 + 1) >>> 0;
    const cname = `zerocast-${id.slice(0, 8)}`;
    this.pc = new PeerConnection(`whep-${id.slice(0, 8)}`, settings.rtcConfig);
    try {
      const video = new Video(offer.video.mid, 'SendOnly');
      video.addH264Codec(
        this.payloadType,
        'profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1',
      );
      video.parseSdpLine(`a=rtcp-fb:${this.payloadType} ccm fir`);
      video.addSSRC(this.ssrc, cname, 'zerocast', 'video');
      this.track = this.pc.addTrack(video);
      this.rtpConfig = new RtpPacketizationConfig(this.ssrc, cname, this.payloadType, 90_000);
      this.timestampBase = this.rtpConfig.timestamp >>> 0;
      const packetizer = new H264RtpPacketizer(
        'StartSequence',
        this.rtpConfig,
        settings.maxFragmentSize,
      );
      packetizer.addToChain(new RtcpSrReporter(this.rtpConfig));
      packetizer.addToChain(new RtcpNackResponder(settings.nackBufferPackets));
      this.track.setMediaHandler(packetizer);
      this.track.onOpen(() => this.onTrackOpen());
      this.track.onClosed(() => this.close('track closed'));
      this.track.onError((err) => settings.log('warn', `viewer ${id}: track error: ${err}`));
      this.track.onMessage((msg) => this.onRtcp(msg));
      this.pc.onStateChange((st) => this.onPcState(st));
    } catch (err) {
      this.pc.close();
      throw err;
    }
    // A viewer that never completes ICE + DTLS is dropped.
    this.connectTimer = setTimeout(() => {
      if (!this.trackOpen) this.close('no connection within 30 s');
    }, 30_000);
    this.connectTimer.unref();
  }

  /**
   * Applies the offer and resolves with the answer SDP once ICE gathering is complete (or after
   * `timeoutMs`, with the candidates gathered so far).
   * @throws Error when libdatachannel rejects the offer or produces no answer.
   */
  async answer(offerSdp: string, timeoutMs: number): Promise<string> {
    const gathered = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.pc.onGatheringStateChange((st) => {
        if (st === 'complete') {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    this.pc.setRemoteDescription(offerSdp, 'offer');
    if (this.pc.gatheringState() !== 'complete') await gathered;
    if (this.state === 'closed') throw new Error('session closed while gathering ICE candidates');
    const local = this.pc.localDescription();
    if (!local || local.type !== 'answer') throw new Error('libdatachannel produced no SDP answer');
    return local.sdp;
  }

  /** Current state. */
  get currentState(): ViewerState {
    return this.state;
  }

  /**
   * Offers an access unit to this viewer (called from the engine's AU callback: O(1), never
   * sends). Before its first IDR, and after a backlog, the viewer only takes IDRs.
   */
  enqueue(au: AccessUnit, buf: Buffer): void {
    if (!this.trackOpen || this.state === 'closed') return;
    if (this.waitingForIdr) {
      if (!au.keyframe) {
        this.s.framesSkipped += 1;
        return;
      }
      this.waitingForIdr = false;
    }
    this.queue.push({ au, buf });
    if (this.queue.length > this.settings.maxQueuedFrames) {
      // Backed up: drop everything and restart at the next IDR (the others are unaffected).
      this.s.framesSkipped += this.queue.length;
      this.queue = [];
      this.waitingForIdr = true;
      this.s.resyncs += 1;
      this.askKeyframe('viewer-resync', true);
    }
  }

  /** Sends what is queued (called from a macrotask after the AU callback). */
  drain(): void {
    const items = this.queue;
    this.queue = [];
    for (const { au, buf } of items) {
      if (this.state === 'closed') return;
      this.rtpConfig.timestamp = (this.timestampBase + Math.round(au.ptsMs * 90)) >>> 0;
      let ok: boolean;
      try {
        ok = this.track.sendMessageBinary(buf);
      } catch (err) {
        this.close(`send failed: ${(err as Error).message}`);
        return;
      }
      if (!ok) this.s.sendFailures += 1;
      this.s.framesSent += 1;
      if (au.keyframe) this.s.keyframesSent += 1;
      this.s.bytesSent += buf.length;
      this.s.packetsSent += countRtpPackets(au.data, this.settings.maxFragmentSize);
    }
  }

  /** Updates the bitrate sample (called about once a second). */
  sample(): void {
    const now = Date.now();
    const dt = (now - this.lastSample.at) / 1000;
    if (dt > 0.2) {
      this.s.bitrateBps = Math.round(((this.s.bytesSent - this.lastSample.bytes) * 8) / dt);
      this.lastSample = { at: now, bytes: this.s.bytesSent };
    }
  }

  /** A snapshot of this viewer's statistics. */
  stats(): ViewerStats {
    let rttMs = this.s.rttMs;
    if (this.state !== 'closed') {
      try {
        if (rttMs === undefined) {
          const ice = this.pc.rtt();
          if (ice >= 0) rttMs = ice;
        }
      } catch {
        // The PeerConnection is being torn down.
      }
    }
    return {
      id: this.id,
      state: this.state,
      remoteAddress: this.s.remoteAddress,
      createdAt: this.createdAt,
      connectedAt: this.s.connectedAt,
      payloadType: this.payloadType,
      ssrc: this.ssrc,
      framesSent: this.s.framesSent,
      keyframesSent: this.s.keyframesSent,
      framesSkipped: this.s.framesSkipped,
      resyncs: this.s.resyncs,
      packetsSent: this.s.packetsSent,
      bytesSent: this.s.bytesSent,
      bitrateBps: this.s.bitrateBps,
      nacks: this.s.nacks,
      nackedPackets: this.s.nackedPackets,
      plis: this.s.plis,
      firs: this.s.firs,
      rttMs,
      fractionLost: this.s.fractionLost,
      packetsLost: this.s.packetsLost,
      jitterMs: this.s.jitterMs,
      rembBps: this.s.rembBps,
      sendFailures: this.s.sendFailures,
    };
  }

  /** Ends the session: closes the track and the PeerConnection. Idempotent. */
  close(reason = 'closed'): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.queue = [];
    clearTimeout(this.disconnectTimer);
    clearTimeout(this.connectTimer);
    this.settings.log('info', `viewer ${this.id} closed: ${reason}`);
    try {
      this.track.close();
    } catch {
      // already closed
    }
    try {
      this.pc.close();
    } catch {
      // already closed
    }
    this.settings.onClosed(this);
  }

  private onTrackOpen(): void {
    if (this.state === 'closed') return;
    this.trackOpen = true;
    this.waitingForIdr = true;
    this.state = 'connected';
    this.s.connectedAt = Date.now();
    clearTimeout(this.connectTimer);
    try {
      const pair = this.pc.getSelectedCandidatePair();
      if (pair) this.s.remoteAddress = `${pair.remote.address}:${pair.remote.port}`;
    } catch {
      // not available
    }
    this.settings.log('info', `viewer ${this.id} connected (${this.s.remoteAddress ?? '?'})`);
    this.askKeyframe('new-viewer', true);
  }

  private onPcState(st: string): void {
    if (this.state === 'closed') return;
    if (st === 'failed' || st === 'closed') {
      this.close(`peer connection ${st}`);
    } else if (st === 'disconnected') {
      this.state = 'disconnected';
      // ICE may come back (consent freshness); give it 10 s before ending the session.
      this.disconnectTimer ??= setTimeout(() => this.close('disconnected for 10 s'), 10_000);
      this.disconnectTimer.unref();
    } else if (st === 'connected') {
      clearTimeout(this.disconnectTimer);
      this.disconnectTimer = undefined;
      if (this.trackOpen) this.state = 'connected';
    }
  }

  private onRtcp(msg: Buffer): void {
    if (this.state === 'closed') return;
    const fb = parseRtcp(msg);
    this.s.nacks += fb.nacks;
    this.s.nackedPackets += fb.nackedSeqs.length;
    if (fb.rembBps !== undefined) this.s.rembBps = fb.rembBps;
    for (const block of fb.reports) {
      if (block.ssrc !== this.ssrc) continue;
      this.s.fractionLost = block.fractionLost;
      this.s.packetsLost = block.cumulativeLost;
      this.s.jitterMs = block.jitter / 90;
      const rtt = rttFromReport(block);
      if (rtt !== undefined) this.s.rttMs = rtt;
    }
    if (fb.plis > 0) {
      this.s.plis += fb.plis;
      this.askKeyframe('pli');
    }
    if (fb.firs > 0) {
      this.s.firs += fb.firs;
      this.askKeyframe('fir');
    }
  }

  private askKeyframe(reason: string, force = false): void {
    const now = performance.now();
    if (!force && now - this.lastKeyframeRequest < this.settings.keyframeRequestIntervalMs) return;
    this.lastKeyframeRequest = now;
    this.settings.requestKeyframe(reason);
  }
}

/**
 * RTP packets libdatachannel's H264RtpPacketizer makes of an access unit: one single-NAL-unit
 * packet per NAL unit that fits in `maxFragmentSize`; a larger NAL unit of `size` bytes is cut into
 * `n = ceil(size / max)` even shares, each less the 2-byte FU-A indicator and header
 * (RFC 6184 section 5.8), which can add one more fragment.
 */
export function countRtpPackets(accessUnit: Uint8Array, maxFragmentSize: number): number {
  let packets = 0;
  for (const unit of splitAnnexB(accessUnit)) {
    const size = unit.data.length;
    if (size <= maxFragmentSize) {
      packets += 1;
      continue;
    }
    const n = Math.ceil(size / maxFragmentSize);
    const chunk = Math.ceil(size / n) - 2;
    packets += chunk > 0 ? Math.ceil((size - 1) / chunk) : n;
  }
  return packets;
}
