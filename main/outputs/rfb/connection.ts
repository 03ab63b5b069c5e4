/**
 * One RFB client: handshake (RFC 6143 §7.1-7.3), client messages (§7.5 and rfbproto extensions)
 * and its own send queue for Open H.264, ZRLE or Raw framebuffer updates.
 *
 * Nothing here ever blocks the stream source: access units and frames are queued or dropped
 * synchronously; colour conversion and ZRLE tiling run on the server's pixel worker thread
 * (./pixel-thread.ts), shared by every client with the same pixel format; ZRLE compression runs
 * on the libuv thread pool through the connection's own zlib stream; a client whose socket backs
 * up skips to newer frames (H.264: to the next IDR).
 */
import { constants as zc, createDeflate, type Deflate } from 'node:zlib';
import type { AccessUnit } from '../../engine/contracts.ts';
import type { ConvertedFrame, PixelKind } from './frame-cache.ts';
import {
  DEFAULT_PIXEL_FORMAT,
  decodePixelFormat,
  encodePixelFormat,
  validatePixelFormat,
  type PixelFormat,
} from './pixel-format.ts';
import {
  ByteQueue,
  ClientMsg,
  Encoding,
  FenceFlag,
  H264Flag,
  RFB_LIMITS,
  SERVER_VERSION,
  SecurityType,
  ServerMsg,
  extendedDesktopSizeRect,
  fbuHeader,
  isLoopbackAddress,
  lengthPrefixedString,
  rectHeader,
  serverFence,
  u32,
} from './protocol.ts';
import type { RfbTransport } from './transport.ts';
import { VNC_CHALLENGE_LENGTH, vncAuthVerify, vncChallenge } from './vnc-auth.ts';

/** The framebuffer encoding a client is served with. */
export type RfbEncodingName = 'h264' | 'zrle' | 'raw';

/** Statistics of one connected client (see `RfbServer.clients`). */
export interface RfbClientStats {
  /** Server-unique connection id. */
  id: number;
  /** `address:port` of the peer. */
  remote: string;
  transport: 'tcp' | 'ws';
  /** Negotiated protocol version (`3.3`, `3.7`, `3.8`), once known. */
  version: string | null;
  /** Handshake phase or `normal`. */
  state: string;
  /** Encoding in use for framebuffer updates (null before SetEncodings / ServerInit). */
  encoding: RfbEncodingName | null;
  /** Client pixel format in use. */
  pixelFormat: PixelFormat;
  /** Whether the client enabled ContinuousUpdates. */
  continuousUpdates: boolean;
  /** Framebuffer updates carrying a frame (one per H.264 access unit or ZRLE/Raw frame). */
  framesSent: number;
  /** Frames (or access units) dropped for this client because it was slow or not synced. */
  framesSkipped: number;
  /** Bytes written to the transport. */
  bytesSent: number;
  /** Bytes queued in the transport right now. */
  bufferedBytes: number;
  /** Largest amount of unparsed client input held at once (bounded by `RFB_LIMITS.maxInputBytes`). */
  peakInputBytes: number;
  /** Date.now() at connect. */
  connectedAtMs: number;
}

/** Keyboard and pointer input from viewers (RFC 6143 §7.5.4, §7.5.5). */
export interface RfbInputSink {
  /** PointerEvent: position in framebuffer pixels; bit n of `buttonMask` = button n+1 down. */
  pointer(x: number, y: number, buttonMask: number): void;
  /** KeyEvent: an X11 keysym, pressed (`down`) or released. */
  key(keysym: number, down: boolean): void;
}

/** A pino-compatible logger (only these methods are used). */
export interface RfbLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/** What a connection asks of its server. */
export interface ConnectionHost {
  readonly password: string | undefined;
  readonly desktopName: string;
  /** Whether Open H.264 is offered. */
  readonly h264: boolean;
  readonly log: RfbLogger;
  /** Current stream size (ServerInit). */
  size(): { width: number; height: number };
  /** Whether input events are forwarded now. */
  interactionEnabled(): boolean;
  readonly input: RfbInputSink | undefined;
  /** The newest converted frame for ZRLE/Raw, if any. */
  currentFrame(): ConvertedFrame | undefined;
  /**
   * The current frame lacks this client's format: have it converted (asynchronously, on the pixel
   * thread); the server calls {@link RfbConnection.pump} when it is there.
   */
  needPixels(): void;
  requestKeyframe(reason: string): void;
  /** Called once when the connection is gone. */
  removed(conn: RfbConnection): void;
}

type State = 'version' | 'security' | 'auth' | 'client-init' | 'normal' | 'closed';

/**
 * Queued H.264 beyond this many access units (about a second at 30 fps) or bytes: the client is
 * too far behind; drop them and restart it at an IDR.
 */
const H264_MAX_QUEUED_UNITS = 30;
const H264_MAX_QUEUED_BYTES = 4 * 1024 * 1024;
/** Don't hand a client more while its transport holds this many unsent bytes. */
const H264_HIGH_WATER = 1024 * 1024;
const PIXELS_HIGH_WATER = 256 * 1024;
/** Minimum ms between keyframe requests on behalf of one client. */
const KEYFRAME_REQUEST_INTERVAL_MS = 500;

/** One RFB client connection. Created by `RfbServer`; not constructed directly. */
export class RfbConnection {
  private state: State = 'version';
  private version: '3.3' | '3.7' | '3.8' | null = null;
  private readonly input = new ByteQueue(RFB_LIMITS.maxInputBytes);
  private challenge: Buffer | undefined;
  private offered: number = SecurityType.Invalid;

  private pf: PixelFormat = { ...DEFAULT_PIXEL_FORMAT };
  private encodings: number[] = [];
  private encoding: RfbEncodingName | null = null;
  private fbWidth = 0;
  private fbHeight = 0;
  private supportsDesktopSize = false;
  private supportsExtDesktopSize = false;
  private supportsCU = false;
  private supportsFence = false;
  private continuous = false;
  private compressLevel = 1;

  private pendingRequest = false;
  private fullRequested = false;
  private extraRects: Buffer[] = [];

  // H.264
  private h264Synced = false;
  private h264Reset = false;
  private h264Queue: AccessUnit[] = [];
  private h264QueuedBytes = 0;
  private lastKeyframeRequest = 0;

  // ZRLE / Raw
  private deflate: Deflate | undefined;
  private deflateChunks: Buffer[] = [];
  private busy = false;
  private lastSentFrameId = -1;
  private pixelPending = false;

  private framesSent = 0;
  private framesSkipped = 0;
  private bytesSent = 0;
  private readonly connectedAtMs = Date.now();
  private partialTimer: NodeJS.Timeout | undefined;
  private handshakeTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly id: number,
    private readonly transport: RfbTransport,
    private readonly host: ConnectionHost,
  ) {}

  /** Starts the handshake by sending the server's ProtocolVersion (RFC 6143 §7.1.1). */
  start(): void {
    this.transport.start({
      data: (c) => this.onData(c),
      drain: () => this.pump(),
      close: (err) => this.onTransportClose(err),
      invalid: (reason) => this.fail(reason),
    });
    this.handshakeTimer = setTimeout(
      () => this.fail('handshake not completed in time'),
      RFB_LIMITS.handshakeTimeoutMs,
    );
    this.handshakeTimer.unref();
    this.send(Buffer.from(SERVER_VERSION, 'latin1'));
  }

  /** Current statistics. */
  stats(): RfbClientStats {
    return {
      id: this.id,
      remote: this.transport.remote,
      transport: this.transport.kind,
      version: this.version,
      state: this.state,
      encoding: this.encoding,
      pixelFormat: { ...this.pf },
      continuousUpdates: this.continuous,
      framesSent: this.framesSent,
      framesSkipped: this.framesSkipped,
      bytesSent: this.bytesSent,
      bufferedBytes: this.transport.bufferedBytes(),
      peakInputBytes: this.input.peak,
      connectedAtMs: this.connectedAtMs,
    };
  }

  /** Whether this client currently wants ZRLE/Raw frames. */
  get wantsPixels(): boolean {
    return this.state === 'normal' && (this.encoding === 'zrle' || this.encoding === 'raw');
  }

  /** The pixel format and kind of data this client wants now, if it wants ZRLE/Raw frames. */
  get pixelWant(): { pf: PixelFormat; kind: PixelKind } | null {
    if (!this.wantsPixels) return null;
    return { pf: this.pf, kind: this.encoding === 'raw' ? 'raw' : 'zrle' };
  }

  /** Closes the connection, logging `reason` at `level`. Idempotent. */
  close(reason: string, level: 'info' | 'warn' = 'info'): void {
    if (this.state === 'closed') return;
    this.host.log[level](
      { client: this.id, remote: this.transport.remote, reason },
      'rfb client closed',
    );
    this.teardown();
    this.transport.end();
  }

  private isOpen(): boolean {
    return this.state !== 'closed';
  }

  private fail(reason: string): void {
    this.close(reason, 'warn');
  }

  private teardown(): void {
    this.state = 'closed';
    clearTimeout(this.partialTimer);
    clearTimeout(this.handshakeTimer);
    this.input.clear();
    this.h264Queue = [];
    this.extraRects = [];
    this.deflate?.close();
    this.deflate = undefined;
    this.host.removed(this);
  }

  private onTransportClose(err?: Error): void {
    if (this.state === 'closed') return;
    const midMessage = this.input.available > 0;
    this.host.log[midMessage || err ? 'warn' : 'info'](
      {
        client: this.id,
        remote: this.transport.remote,
        reason: err
          ? `transport error: ${err.message}`
          : midMessage
            ? `peer closed in the middle of a message (${this.input.available} bytes pending)`
            : 'peer closed',
      },
      'rfb client closed',
    );
    this.teardown();
  }

  private send(data: Buffer): void {
    if (this.state === 'closed') return;
    const queued = this.transport.bufferedBytes();
    if (queued > RFB_LIMITS.maxOutputBytes) {
      return this.fail(`client is not reading (${queued} bytes unsent)`);
    }
    this.bytesSent += data.length;
    this.transport.write(data);
  }

  // ---------------------------------------------------------------- input

  private onData(chunk: Buffer): void {
    if (this.state === 'closed') return;
    if (!this.input.push(chunk)) {
      return this.fail(`client input exceeds ${RFB_LIMITS.maxInputBytes} bytes`);
    }
    try {
      while (this.isOpen() && this.step()) {
        /* keep parsing */
      }
    } catch (e) {
      return this.fail(`internal error: ${(e as Error).message}`);
    }
    if (!this.isOpen()) return;
    clearTimeout(this.partialTimer);
    this.partialTimer = undefined;
    if (this.input.available > 0) {
      this.partialTimer = setTimeout(
        () => this.fail(`incomplete message (${this.input.available} bytes) timed out`),
        RFB_LIMITS.partialMessageTimeoutMs,
      );
      this.partialTimer.unref();
    }
  }

  /** Handles one message if complete. @returns whether one was consumed. */
  private step(): boolean {
    const q = this.input;
    switch (this.state) {
      case 'version':
        if (q.available < 12) return false;
        this.onVersion(q.take(12).toString('latin1'));
        return true;
      case 'security':
        if (q.available < 1) return false;
        this.onSecurityChoice(q.take(1)[0]!);
        return true;
      case 'auth':
        if (q.available < VNC_CHALLENGE_LENGTH) return false;
        this.onAuthResponse(q.take(VNC_CHALLENGE_LENGTH));
        return true;
      case 'client-init':
        if (q.available < 1) return false;
        q.skip(1); // shared flag: every client shares the one stream
        this.onClientInit();
        return true;
      case 'normal':
        return this.normalMessage();
      default:
        return false;
    }
  }

  // ------------------------------------------------------------ handshake

  private onVersion(text: string): void {
    const m = /^RFB (\d{3})\.(\d{3})\n$/.exec(text);
    if (!m) return this.fail(`bad ProtocolVersion ${JSON.stringify(text)}`);
    const major = Number(m[1]);
    const minor = Number(m[2]);
    if (major !== 3) return this.fail(`unsupported protocol version ${major}.${minor}`);
    // RFC 6143 §7.1.1: 3.8 and later are 3.8; 3.7 is 3.7; anything older (incl. 3.5) is 3.3.
    this.version = minor >= 8 ? '3.8' : minor === 7 ? '3.7' : '3.3';

    const refusal = this.securityRefusal();
    this.offered = this.host.password !== undefined ? SecurityType.VncAuth : SecurityType.None;
    if (this.version === '3.3') {
      if (refusal) {
        this.send(Buffer.concat([u32(0), lengthPrefixedString(refusal)]));
        return this.fail(refusal);
      }
      this.send(u32(this.offered));
      this.afterSecurityChosen(this.offered);
    } else {
      if (refusal) {
        this.send(Buffer.concat([Buffer.from([0]), lengthPrefixedString(refusal)]));
        return this.fail(refusal);
      }
      this.send(Buffer.from([1, this.offered]));
      this.state = 'security';
    }
  }

  /** None is allowed only on loopback; elsewhere a password must be configured. */
  private securityRefusal(): string | null {
    if (this.host.password !== undefined) return null;
    if (isLoopbackAddress(this.transport.localAddress)) return null;
    return 'VNC authentication is required on a non-loopback interface, but no password is configured';
  }

  private onSecurityChoice(type: number): void {
    if (type !== this.offered) {
      const reason = `security type ${type} was not offered`;
      if (this.version === '3.8') this.send(Buffer.concat([u32(1), lengthPrefixedString(reason)]));
      return this.fail(reason);
    }
    this.afterSecurityChosen(type);
  }

  private afterSecurityChosen(type: number): void {
    if (type === SecurityType.VncAuth) {
      this.challenge = vncChallenge();
      this.send(this.challenge);
      this.state = 'auth';
      return;
    }
    // RFC 6143 §7.1.3: SecurityResult follows None only from 3.8 on.
    if (this.version === '3.8') this.send(u32(0));
    this.state = 'client-init';
  }

  private onAuthResponse(response: Buffer): void {
    const ok = vncAuthVerify(
      this.host.password ?? '',
      this.challenge ?? Buffer.alloc(16),
      response,
    );
    if (!ok) {
      const reason = 'Authentication failed: wrong password';
      this.send(
        this.version === '3.8' ? Buffer.concat([u32(1), lengthPrefixedString(reason)]) : u32(1),
      );
      return this.fail(reason);
    }
    this.send(u32(0));
    this.state = 'client-init';
  }

  private onClientInit(): void {
    const { width, height } = this.host.size();
    this.fbWidth = width;
    this.fbHeight = height;
    const head = Buffer.alloc(4);
    head.writeUInt16BE(width, 0);
    head.writeUInt16BE(height, 2);
    this.send(
      Buffer.concat([
        head,
        encodePixelFormat(this.pf),
        lengthPrefixedString(this.host.desktopName),
      ]),
    );
    this.state = 'normal';
    this.encoding = 'raw';
    clearTimeout(this.handshakeTimer);
    this.host.log.info(
      { client: this.id, remote: this.transport.remote, version: this.version },
      'rfb client connected',
    );
  }

  // ------------------------------------------------------- client messages

  private normalMessage(): boolean {
    const q = this.input;
    if (q.available < 1) return false;
    const type = q.byteAt(0);
    switch (type) {
      case ClientMsg.SetPixelFormat: {
        if (q.available < 20) return false;
        const m = q.take(20);
        const pf = decodePixelFormat(m, 4);
        const bad = validatePixelFormat(pf);
        if (bad) {
          this.fail(`SetPixelFormat: ${bad}`);
          return false;
        }
        this.pf = pf;
        return true;
      }
      case ClientMsg.SetEncodings: {
        if (q.available < 4) return false;
        const n = (q.byteAt(2) << 8) | q.byteAt(3);
        if (n > RFB_LIMITS.maxEncodings) {
          this.fail(`SetEncodings announces ${n} encodings (limit ${RFB_LIMITS.maxEncodings})`);
          return false;
        }
        if (q.available < 4 + 4 * n) return false;
        const m = q.take(4 + 4 * n);
        const list: number[] = [];
        for (let i = 0; i < n; i++) list.push(m.readInt32BE(4 + 4 * i));
        this.onSetEncodings(list);
        return true;
      }
      case ClientMsg.FramebufferUpdateRequest: {
        if (q.available < 10) return false;
        const m = q.take(10);
        this.pendingRequest = true;
        if (m[1] === 0) this.fullRequested = true;
        if (this.encoding === 'h264' && !this.h264Synced) {
          this.askKeyframe('rfb client waiting for IDR');
        }
        this.pump();
        return true;
      }
      case ClientMsg.KeyEvent: {
        if (q.available < 8) return false;
        const m = q.take(8);
        this.deliverInput(() => this.host.input?.key(m.readUInt32BE(4), m[1] !== 0));
        return true;
      }
      case ClientMsg.PointerEvent: {
        if (q.available < 6) return false;
        const m = q.take(6);
        const x = m.readUInt16BE(2);
        const y = m.readUInt16BE(4);
        const mask = m[1]!;
        this.deliverInput(() => this.host.input?.pointer(x, y, mask));
        return true;
      }
      case ClientMsg.ClientCutText: {
        if (q.available < 8) return false;
        const len = q.peek(8).readInt32BE(4);
        // rfbproto Extended Clipboard: a negative length means |length| bytes of extended data.
        const abs = Math.abs(len);
        if (abs > RFB_LIMITS.maxCutText) {
          this.fail(`ClientCutText announces ${abs} bytes (limit ${RFB_LIMITS.maxCutText})`);
          return false;
        }
        if (q.available < 8 + abs) return false;
        q.skip(8 + abs); // clipboard is not used
        return true;
      }
      case ClientMsg.EnableContinuousUpdates: {
        if (q.available < 10) return false;
        const m = q.take(10);
        if (!this.supportsCU) {
          this.fail('EnableContinuousUpdates without the ContinuousUpdates pseudo-encoding');
          return false;
        }
        if (m[1] !== 0) {
          this.continuous = true;
          if (this.encoding === 'h264' && !this.h264Synced) {
            this.askKeyframe('rfb client waiting for IDR');
          }
          this.pump();
        } else {
          this.continuous = false;
          this.send(Buffer.from([ServerMsg.EndOfContinuousUpdates]));
        }
        return true;
      }
      case ClientMsg.ClientFence: {
        if (q.available < 9) return false;
        const len = q.byteAt(8);
        if (len > RFB_LIMITS.maxFencePayload) {
          this.fail(`ClientFence payload of ${len} bytes (limit ${RFB_LIMITS.maxFencePayload})`);
          return false;
        }
        if (q.available < 9 + len) return false;
        const m = q.take(9 + len);
        const flags = m.readUInt32BE(4);
        if (flags & FenceFlag.Request) {
          // We handle messages in order and write in order, so BlockBefore/BlockAfter hold.
          const reply = flags & (FenceFlag.BlockBefore | FenceFlag.BlockAfter);
          this.send(serverFence(reply, m.subarray(9)));
        }
        return true;
      }
      case ClientMsg.SetDesktopSize: {
        if (q.available < 8) return false;
        const screens = q.byteAt(6);
        if (screens > RFB_LIMITS.maxScreens) {
          this.fail(`SetDesktopSize with ${screens} screens (limit ${RFB_LIMITS.maxScreens})`);
          return false;
        }
        if (q.available < 8 + 16 * screens) return false;
        q.skip(8 + 16 * screens);
        // The stream's size is the engine's; tell the client the change is prohibited.
        if (this.supportsExtDesktopSize) {
          this.extraRects.push(extendedDesktopSizeRect(1, 1, this.fbWidth, this.fbHeight));
        }
        return true;
      }
      default:
        this.fail(`unknown client message type ${type}`);
        return false;
    }
  }

  private deliverInput(fn: () => void): void {
    if (!this.host.interactionEnabled() || !this.host.input) return;
    try {
      fn();
    } catch (e) {
      this.host.log.warn({ client: this.id, err: (e as Error).message }, 'rfb input sink threw');
    }
  }

  private onSetEncodings(list: number[]): void {
    this.encodings = list;
    const has = (e: number) => list.includes(e);
    let chosen: RfbEncodingName = 'raw';
    for (const e of list) {
      if (e === Encoding.H264 && this.host.h264) {
        chosen = 'h264';
        break;
      }
      if (e === Encoding.Zrle) {
        chosen = 'zrle';
        break;
      }
      if (e === Encoding.Raw) break;
    }
    const hadCU = this.supportsCU;
    const hadExt = this.supportsExtDesktopSize;
    this.supportsDesktopSize = has(Encoding.DesktopSize);
    this.supportsExtDesktopSize = has(Encoding.ExtendedDesktopSize);
    this.supportsCU = has(Encoding.ContinuousUpdates);
    this.supportsFence = has(Encoding.Fence);
    const level = list.find((e) => e >= -256 && e <= -247);
    if (level !== undefined) this.compressLevel = Math.max(1, level + 256);

    if (chosen !== this.encoding) {
      this.host.log.debug({ client: this.id, from: this.encoding, to: chosen }, 'rfb encoding');
      this.encoding = chosen;
      this.h264Queue = [];
      this.h264QueuedBytes = 0;
      this.h264Synced = false;
      if (chosen === 'h264') this.askKeyframe('rfb client selected H.264');
    }
    // rfbproto: a server supporting ContinuousUpdates says so with EndOfContinuousUpdates.
    if (this.supportsCU && !hadCU) this.send(Buffer.from([ServerMsg.EndOfContinuousUpdates]));
    // rfbproto: announce ExtendedDesktopSize support with the current layout.
    if (this.supportsExtDesktopSize && !hadExt) {
      this.extraRects.push(extendedDesktopSizeRect(0, 0, this.fbWidth, this.fbHeight));
    }
  }

  // ------------------------------------------------------------ updates

  /** The stream was resized: H.264 contexts restart at the next IDR. */
  onResize(): void {
    if (this.encoding === 'h264' && this.h264Synced) {
      this.h264Synced = false;
      this.framesSkipped += this.h264Queue.length;
      this.h264Queue = [];
      this.h264QueuedBytes = 0;
    }
  }

  /** A new access unit from the shared encoder. Synchronous; never blocks. */
  onAccessUnit(au: AccessUnit): void {
    if (this.state !== 'normal' || this.encoding !== 'h264') return;
    if (!this.h264Synced) {
      if (!au.keyframe) {
        this.framesSkipped++;
        // Only a client that wants updates now makes the shared encoder produce an IDR.
        if (this.canSendUpdate()) this.askKeyframe('rfb client waiting for IDR');
        return;
      }
      this.h264Synced = true;
      this.h264Reset = true;
      this.framesSkipped += this.h264Queue.length;
      this.h264Queue = [];
      this.h264QueuedBytes = 0;
    }
    this.h264Queue.push(au);
    this.h264QueuedBytes += au.data.length;
    if (
      this.h264Queue.length > H264_MAX_QUEUED_UNITS ||
      this.h264QueuedBytes > H264_MAX_QUEUED_BYTES
    ) {
      // Too far behind: skip everything queued and restart from the next IDR.
      this.framesSkipped += this.h264Queue.length;
      this.h264Queue = [];
      this.h264QueuedBytes = 0;
      this.h264Synced = false;
      if (this.canSendUpdate()) this.askKeyframe('rfb client fell behind');
      return;
    }
    this.pump();
  }

  /** A new frame is available for ZRLE/Raw clients. */
  onFrame(): void {
    if (!this.wantsPixels) return;
    // A frame that arrived and was never sent is now replaced by a newer one: skipped.
    if (this.pixelPending) this.framesSkipped++;
    this.pixelPending = true;
    this.pump();
  }

  private askKeyframe(reason: string, force = false): void {
    const now = Date.now();
    if (!force && now - this.lastKeyframeRequest < KEYFRAME_REQUEST_INTERVAL_MS) return;
    this.lastKeyframeRequest = now;
    this.host.requestKeyframe(reason);
  }

  private canSendUpdate(): boolean {
    return this.state === 'normal' && (this.pendingRequest || this.continuous);
  }

  /** Sends what is due, if the client asked for it and its transport is not backed up. */
  pump(): void {
    if (!this.canSendUpdate()) return;
    if (this.encoding === 'h264') this.pumpH264();
    else this.pumpPixels();
  }

  /** Resize pseudo-rectangle(s) needed before content of `w` x `h`; null if the client can't resize. */
  private resizeRects(w: number, h: number): Buffer[] | null {
    if (w === this.fbWidth && h === this.fbHeight) return [];
    let rect: Buffer;
    if (this.supportsExtDesktopSize) rect = extendedDesktopSizeRect(0, 0, w, h);
    else if (this.supportsDesktopSize) rect = rectHeader(0, 0, w, h, Encoding.DesktopSize);
    else return null;
    this.fbWidth = w;
    this.fbHeight = h;
    return [rect];
  }

  private writeUpdate(rects: Buffer[], rectCount: number): void {
    this.pendingRequest = false;
    this.fullRequested = false;
    this.send(Buffer.concat([fbuHeader(rectCount), ...rects]));
  }

  private pumpH264(): void {
    if (this.h264Queue.length === 0) return;
    if (this.transport.bufferedBytes() > H264_HIGH_WATER) return; // drain will call pump()
    const units = this.h264Queue;
    this.h264Queue = [];
    this.h264QueuedBytes = 0;
    const first = units[0]!;
    const resize = this.resizeRects(first.width, first.height);
    if (!resize) return this.fail('stream resized but the client supports no DesktopSize');
    const parts: Buffer[] = [...this.extraRects, ...resize];
    let count = this.extraRects.length + resize.length;
    this.extraRects = [];
    for (const au of units) {
      let flags = 0;
      if (this.h264Reset) {
        flags = H264Flag.ResetContext;
        this.h264Reset = false;
      }
      const head = Buffer.allocUnsafe(8);
      head.writeUInt32BE(au.data.length, 0);
      head.writeUInt32BE(flags, 4);
      parts.push(
        rectHeader(0, 0, au.width, au.height, Encoding.H264),
        head,
        Buffer.from(au.data.buffer, au.data.byteOffset, au.data.byteLength),
      );
      count++;
    }
    this.framesSent += units.length;
    this.writeUpdate(parts, count);
  }

  private pumpPixels(): void {
    if (this.busy) return;
    if (this.transport.bufferedBytes() > PIXELS_HIGH_WATER) return;
    const frame = this.host.currentFrame();
    if (!frame) return;
    if (frame.id === this.lastSentFrameId && !this.fullRequested) return;
    const pf = this.pf;
    const data = frame.get(pf, this.encoding === 'raw' ? 'raw' : 'zrle');
    if (!data) return this.host.needPixels(); // pump() is called again when it is converted
    this.pixelPending = false;
    const resize = this.resizeRects(frame.width, frame.height);
    if (!resize) return this.fail('stream resized but the client supports no DesktopSize');
    const pre = [...this.extraRects, ...resize];
    this.extraRects = [];
    this.lastSentFrameId = frame.id;
    const { width: w, height: h } = frame;
    if (this.encoding === 'raw') {
      this.framesSent++;
      this.writeUpdate([...pre, rectHeader(0, 0, w, h, Encoding.Raw), data], pre.length + 1);
      return;
    }
    const z = this.zlib();
    this.busy = true;
    // Taken now: a request arriving while compressing asks for the *next* frame.
    this.pendingRequest = false;
    this.fullRequested = false;
    z.write(data);
    z.flush(zc.Z_SYNC_FLUSH, () => {
      this.busy = false;
      if (this.state === 'closed') return;
      const out = Buffer.concat(this.deflateChunks);
      this.deflateChunks = [];
      this.framesSent++;
      this.send(
        Buffer.concat([
          fbuHeader(pre.length + 1),
          ...pre,
          rectHeader(0, 0, w, h, Encoding.Zrle),
          u32(out.length),
          out,
        ]),
      );
      this.pump();
    });
  }

  private zlib(): Deflate {
    if (!this.deflate) {
      const d = createDeflate({ level: Math.min(9, this.compressLevel) });
      d.on('data', (c: Buffer) => this.deflateChunks.push(c));
      d.on('error', (e) => this.fail(`zlib: ${e.message}`));
      this.deflate = d;
    }
    return this.deflate;
  }

  /** Encodings the client listed, in its order (for diagnostics). */
  get clientEncodings(): readonly number[] {
    return this.encodings;
  }

  /** Whether the client listed the Fence pseudo-encoding. */
  get fenceSupported(): boolean {
    return this.supportsFence;
  }
}
