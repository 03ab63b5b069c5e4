/**
 * A WHEP client in Node built on node-datachannel, for tests: offers a receive-only H.264 video
 * track, posts the offer (or hands it to a callback), applies the answer and records the RTP
 * packets that arrive.
 */
import { PeerConnection, Video, type Track } from 'node-datachannel';
import { buildNack, buildPli } from '../../main/outputs/whep/rtcp.ts';

/** One RTP packet as received (header fields only). */
export interface ReceivedRtp {
  readonly payloadType: number;
  readonly seq: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly marker: boolean;
  readonly size: number;
}

/** Options of {@link NdcWhepClient}. */
export interface NdcWhepClientOptions {
  /** H.264 payload type to offer. Default 102. */
  payloadType?: number;
  /** fmtp of the offered format. Default constrained baseline, packetization-mode=1. */
  fmtp?: string;
}

/** A node-datachannel PeerConnection acting as a WHEP player. */
export class NdcWhepClient {
  readonly pc: PeerConnection;
  readonly track: Track;
  /** RTP packets received, in arrival order. */
  readonly rtp: ReceivedRtp[] = [];
  /** RTCP packets received (sender reports etc.), raw. */
  readonly rtcp: Buffer[] = [];
  private opened = false;
  private openWaiters: (() => void)[] = [];

  constructor(options: NdcWhepClientOptions = {}) {
    const pt = options.payloadType ?? 102;
    this.pc = new PeerConnection('whep-test-client', { iceServers: [] });
    const video = new Video('0', 'RecvOnly');
    video.addH264Codec(
      pt,
      options.fmtp ?? 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
    );
    this.track = this.pc.addTrack(video);
    this.track.onOpen(() => {
      this.opened = true;
      for (const w of this.openWaiters.splice(0)) w();
    });
    this.track.onMessage((msg) => {
      if (msg.length < 12) return;
      const pt2 = msg[1]! & 0x7f;
      // RTCP packet types 200..206 show up as 72..78 with the marker bit masked off.
      if (pt2 >= 72 && pt2 <= 78) {
        this.rtcp.push(msg);
        return;
      }
      this.rtp.push({
        payloadType: pt2,
        marker: (msg[1]! & 0x80) !== 0,
        seq: msg.readUInt16BE(2),
        timestamp: msg.readUInt32BE(4),
        ssrc: msg.readUInt32BE(8),
        size: msg.length,
      });
    });
  }

  /** Creates the offer and waits for ICE gathering to complete; returns the offer SDP. */
  async offer(timeoutMs = 5000): Promise<string> {
    const done = new Promise<void>((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      this.pc.onGatheringStateChange((s) => {
        if (s === 'complete') {
          clearTimeout(t);
          resolve();
        }
      });
    });
    this.pc.setLocalDescription();
    if (this.pc.gatheringState() !== 'complete') await done;
    const d = this.pc.localDescription();
    if (!d) throw new Error('no local description');
    return d.sdp;
  }

  /** Applies the WHEP answer. */
  accept(answerSdp: string): void {
    try {
      this.pc.setRemoteDescription(answerSdp, 'answer');
    } catch (err) {
      const pc = this.pc;
      throw new Error(
        `${(err as Error).message} (state ${pc.state()}, ICE ${pc.iceState()}, gathering ` +
          `${pc.gatheringState()}, signaling ${pc.signalingState()})`,
      );
    }
  }

  /** Resolves when the media track is open (DTLS-SRTP up). */
  waitOpen(timeoutMs = 10_000): Promise<void> {
    if (this.opened) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('track did not open')), timeoutMs);
      this.openWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** Resolves once `n` RTP packets have arrived. */
  async waitForPackets(n: number, timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (this.rtp.length < n) {
      if (Date.now() > end) throw new Error(`only ${this.rtp.length}/${n} RTP packets arrived`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Sends a raw RTCP packet (e.g. a NACK) to the sender. */
  sendRtcp(packet: Buffer): boolean {
    return this.track.sendMessageBinary(packet);
  }

  /** Asks the sender for a keyframe: sends an RTCP PLI for the SSRC of the packets received. */
  sendPli(): boolean {
    const media = this.rtp[this.rtp.length - 1]?.ssrc ?? 0;
    return this.sendRtcp(buildPli(0x5eed, media));
  }

  /** Asks for retransmission of RTP packets by sequence number (an RTCP generic NACK). */
  sendNack(seqs: readonly number[]): boolean {
    const media = this.rtp[this.rtp.length - 1]?.ssrc ?? 0;
    return this.sendRtcp(buildNack(0x5eed, media, seqs));
  }

  /** Closes the PeerConnection. */
  close(): void {
    try {
      this.track.close();
    } catch {
      // closed
    }
    this.pc.close();
  }
}

/** What {@link connectNdcClient}'s exchange returns: the answer, and how to drop its session. */
export interface WhepExchangeResult {
  readonly answer: string;
  /** Ends the server-side session (e.g. DELETE), used when the attempt is retried. */
  readonly release?: () => unknown;
}

/**
 * Creates a client, offers, exchanges the offer for an answer and applies it; retries with a
 * fresh client (up to `attempts` times) when libdatachannel, as the offerer, rejects a valid
 * answer with "Got a remote candidate without ICE transport" — a known libdatachannel race seen
 * when both peers run in one busy process. Browsers are the offerers in production, so only this
 * test client needs the retry.
 * @throws the last error when every attempt fails.
 */
export async function connectNdcClient(
  exchange: (offer: string) => Promise<WhepExchangeResult>,
  options: NdcWhepClientOptions = {},
  attempts = 3,
): Promise<NdcWhepClient> {
  let lastError: unknown;
  for (let i = 0; i < attempts; i += 1) {
    const client = new NdcWhepClient(options);
    let result: WhepExchangeResult | undefined;
    try {
      result = await exchange(await client.offer());
      client.accept(result.answer);
      return client;
    } catch (err) {
      lastError = err;
      client.close();
      await result?.release?.();
      if (!/without ICE transport/.test(String(err))) throw err;
    }
  }
  throw lastError;
}
