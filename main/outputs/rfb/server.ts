/**
 * The RFB (VNC) output: serves the engine's one shared H.264 stream to VNC clients over TCP and
 * WebSocket (RFC 6143, protocol 3.3 / 3.7 / 3.8; Open H.264, ZRLE and Raw encodings).
 *
 * ```ts
 * const rfb = new RfbServer({ source, log, password: process.env.VNC_PASSWORD });
 * await rfb.listen('127.0.0.1', 5900);              // vnc://127.0.0.1:5900
 * httpServer.on('upgrade', (req, socket, head) => {
 *   if (new URL(req.url ?? '/', 'http://x').pathname === '/rfb') rfb.handleUpgrade(req, socket, head);
 * });
 * ```
 */
import type { IncomingMessage } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AccessUnit, Nv12Frame, StreamSource } from '../../engine/contracts.ts';
import {
  RfbConnection,
  type ConnectionHost,
  type RfbClientStats,
  type RfbInputSink,
  type RfbLogger,
} from './connection.ts';
import { ConvertedFrame, pixelWantKey } from './frame-cache.ts';
import {
  PixelThread,
  type PixelJobFrame,
  type PixelResult,
  type PixelWant,
} from './pixel-thread.ts';
import { RFB_LIMITS, isLoopbackAddress } from './protocol.ts';
import { tcpTransport, wsTransport, type RfbTransport } from './transport.ts';

export type { RfbClientStats, RfbInputSink, RfbLogger } from './connection.ts';

/** Options of {@link RfbServer}. */
export interface RfbServerOptions {
  /** The live stream (access units for H.264 clients, NV12 frames for ZRLE/Raw clients). */
  source: StreamSource;
  /**
   * VNC Authentication password (RFC 6143 §7.2.2; only its first 8 bytes count). When absent,
   * security type None is offered, and only to connections that arrive on a loopback address;
   * {@link RfbServer.listen} refuses a non-loopback host without one.
   */
  password?: string;
  /** Forward PointerEvent / KeyEvent to `input` (default false: events are ignored). */
  interaction?: boolean;
  /** Where viewer input goes when {@link RfbServerOptions.interaction} is on. */
  input?: RfbInputSink;
  /** pino-compatible logger (default: silent). */
  log?: RfbLogger;
  /** Desktop name sent in ServerInit (default `Zerocast`). */
  desktopName?: string;
  /**
   * Serve Open H.264 (encoding 50) to clients that list it (default true). When false, every
   * client gets ZRLE or Raw from the NV12 frames.
   */
  h264?: boolean;
  /**
   * Convert NV12 frames and build ZRLE/Raw data on a worker thread (default true). False keeps
   * that work on the main thread (the behaviour before the worker; for comparisons).
   */
  pixelWorker?: boolean;
}

/** Where the ZRLE/Raw pixel work ran (see {@link RfbServer.pixelWork}). */
export interface RfbPixelWork {
  /** `worker`, or `main` when no worker thread could be used (see ./pixel-thread.ts). */
  mode: 'worker' | 'main';
  /** Conversion jobs completed. */
  jobs: number;
  /** `threadId` of the thread that ran the last job (0: the main thread; -1: none yet). */
  lastThreadId: number;
  /** Milliseconds the last job took on that thread. */
  lastMs: number;
}

/** Copies an NV12 frame handed out by the engine (valid only during its callback), once. */
function copyNv12(f: Nv12Frame): PixelJobFrame {
  const bytes = (f.pitch * f.height * 3) / 2;
  const data = new Uint8Array(bytes);
  data.set(f.data.subarray(0, bytes));
  return { id: f.id, width: f.width, height: f.height, pitch: f.pitch, data };
}

const SILENT: RfbLogger = { info() {}, warn() {}, debug() {} };

/**
 * An RFB server over one {@link StreamSource}. Every client has its own send queue; a slow
 * client skips frames (H.264: waits for an IDR it requests) and never stalls the source or the
 * other clients. Bad client input closes that client only (logged with the reason).
 *
 * ZRLE/Raw frames: the main thread copies each NV12 frame once and hands it to the pixel worker
 * thread ({@link PixelThread}), which converts it once per pixel format in use and builds the
 * uncompressed ZRLE tile data / Raw pixels; the results come back to be written to each client's
 * socket in order. One job runs at a time; frames arriving meanwhile replace the one waiting to
 * be handed over (at most one NV12 copy waits, one is being converted). ZRLE's deflate state stays
 * per connection on the main thread's side, compressed on the libuv pool (node:zlib's async API):
 * it belongs to each connection's byte stream, while the tile data is shared by every client.
 */
export class RfbServer {
  private readonly source: StreamSource;
  private readonly password: string | undefined;
  private readonly log: RfbLogger;
  private readonly desktopName: string;
  private readonly h264: boolean;
  private readonly input: RfbInputSink | undefined;
  private interaction: boolean;
  private readonly conns = new Set<RfbConnection>();
  private readonly tcpServers: Server[] = [];
  private readonly wss: WebSocketServer;
  private readonly standaloneWss: WebSocketServer[] = [];
  private readonly unsubscribe: () => void;
  private nextId = 1;
  private readonly pixels: PixelThread;
  /** The newest converted frame. */
  private frame: ConvertedFrame | undefined;
  /** The newest frame not yet handed to the pixel thread. */
  private next: PixelJobFrame | undefined;
  /** A client found `frame` without its format. */
  private needMore = false;
  private converting = false;
  /** Incremented on resize: conversions started before are dropped. */
  private generation = 0;
  private readonly work: RfbPixelWork = { mode: 'worker', jobs: 0, lastThreadId: -1, lastMs: 0 };
  private closed = false;
  private framesIn = 0;
  private unitsIn = 0;
  private peakInputBytes = 0;

  /** Subscribes to `options.source` at once; call {@link listen} and/or mount {@link handleUpgrade}. */
  constructor(options: RfbServerOptions) {
    this.source = options.source;
    this.password = options.password === '' ? undefined : options.password;
    this.log = options.log ?? SILENT;
    this.desktopName = options.desktopName ?? 'Zerocast';
    this.h264 = options.h264 ?? true;
    this.input = options.input;
    this.interaction = options.interaction ?? false;
    this.wss = this.makeWss({ noServer: true });
    this.pixels = new PixelThread(this.log, options.pixelWorker ?? true);
    this.unsubscribe = this.source.subscribe({
      onAccessUnit: (au) => this.onAccessUnit(au),
      onFrame: (f) => this.onFrame(f),
      wantsFrames: () => this.wantsPixels(),
      onResize: (w, h) => this.onResize(w, h),
    });
  }

  /**
   * Listens for RFB over TCP.
   * @param host interface to bind (default `127.0.0.1`).
   * @param port TCP port (default 5900; 0 picks a free one).
   * @returns the bound address.
   * @throws Error when `host` is not loopback and no password is configured, or on bind errors.
   */
  async listen(host = '127.0.0.1', port = 5900): Promise<AddressInfo> {
    this.checkBind(host);
    const server = createServer((socket: Socket) => this.accept(tcpTransport(socket)));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (e) => this.log.warn({ err: e.message }, 'rfb tcp server error'));
    this.tcpServers.push(server);
    const addr = server.address() as AddressInfo;
    this.log.info({ host: addr.address, port: addr.port }, 'rfb listening (tcp)');
    return addr;
  }

  /**
   * Listens for RFB over WebSocket on its own port (any path), for noVNC without the HTTP server.
   * @throws Error as {@link listen}.
   */
  async listenWebSocket(host = '127.0.0.1', port = 5700): Promise<AddressInfo> {
    this.checkBind(host);
    const wss = this.makeWss({ host, port });
    await new Promise<void>((resolve, reject) => {
      wss.once('error', reject);
      wss.once('listening', () => {
        wss.off('error', reject);
        resolve();
      });
    });
    wss.on('connection', (ws: WebSocket, req: IncomingMessage) => this.acceptWs(ws, req));
    this.standaloneWss.push(wss);
    const addr = wss.address() as AddressInfo;
    this.log.info({ host: addr.address, port: addr.port }, 'rfb listening (websocket)');
    return addr;
  }

  /**
   * Takes over an HTTP upgrade request as an RFB-over-WebSocket connection (mount it on the HTTP
   * server's `upgrade` event for a path such as `/rfb`). The subprotocol `binary` is accepted when
   * offered (noVNC / websockify convention). Security None is allowed only when the request
   * arrived on a loopback address.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.acceptWs(ws, req));
  }

  /** Statistics of every connected client. */
  get clients(): RfbClientStats[] {
    return [...this.conns].map((c) => c.stats());
  }

  /**
   * Totals since construction: frames and access units received from the source, connections
   * accepted, and the most unparsed client input any connection held at once (bytes; never above
   * `RFB_LIMITS.maxInputBytes`).
   */
  get totals(): {
    frames: number;
    accessUnits: number;
    connections: number;
    peakInputBytes: number;
  } {
    let peak = this.peakInputBytes;
    for (const c of this.conns) peak = Math.max(peak, c.stats().peakInputBytes);
    return {
      frames: this.framesIn,
      accessUnits: this.unitsIn,
      connections: this.nextId - 1,
      peakInputBytes: peak,
    };
  }

  /** Where the ZRLE/Raw conversions ran: the worker thread or the main thread. */
  get pixelWork(): RfbPixelWork {
    return { ...this.work, mode: this.pixels.mode };
  }

  /** Turns forwarding of viewer input on or off at run time. */
  setInteraction(enabled: boolean): void {
    this.interaction = enabled;
  }

  /** Closes every client and listener and unsubscribes from the source. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.pixels.close();
    this.frame = undefined;
    this.next = undefined;
    for (const c of [...this.conns]) c.close('server shutting down');
    const closing: Promise<void>[] = [];
    for (const s of this.tcpServers) closing.push(new Promise((r) => s.close(() => r())));
    for (const w of [...this.standaloneWss, this.wss]) {
      for (const ws of w.clients) ws.terminate();
      closing.push(new Promise((r) => w.close(() => r())));
    }
    await Promise.all(closing);
  }

  // ------------------------------------------------------------------

  private makeWss(opts: { noServer: true } | { host: string; port: number }): WebSocketServer {
    return new WebSocketServer({
      ...opts,
      maxPayload: RFB_LIMITS.maxWsMessage,
      perMessageDeflate: false,
      handleProtocols: (protocols) =>
        protocols.has('binary') ? 'binary' : (protocols.values().next().value ?? false),
    });
  }

  private checkBind(host: string): void {
    if (this.password === undefined && !isLoopbackAddress(host)) {
      throw new Error(
        `RFB on ${host} requires VNC authentication: set a password (security None is loopback-only)`,
      );
    }
  }

  private acceptWs(ws: WebSocket, req: IncomingMessage): void {
    const s = req.socket;
    this.accept(wsTransport(ws, s.remoteAddress, s.remotePort, s.localAddress));
  }

  private accept(transport: RfbTransport): void {
    if (this.closed) {
      transport.destroy();
      return;
    }
    if (this.conns.size >= RFB_LIMITS.maxClients) {
      this.log.warn({ remote: transport.remote }, 'rfb connection refused: too many clients');
      transport.destroy();
      return;
    }
    const host: ConnectionHost = {
      password: this.password,
      desktopName: this.desktopName,
      h264: this.h264,
      log: this.log,
      input: this.input,
      size: () => ({ width: this.source.width, height: this.source.height }),
      interactionEnabled: () => this.interaction,
      currentFrame: () => this.currentFrame(),
      needPixels: () => {
        this.needMore = true;
        this.convert();
      },
      requestKeyframe: (reason) => this.source.requestKeyframe(reason),
      removed: (c) => {
        this.peakInputBytes = Math.max(this.peakInputBytes, c.stats().peakInputBytes);
        this.conns.delete(c);
      },
    };
    const conn = new RfbConnection(this.nextId++, transport, host);
    this.conns.add(conn);
    this.log.debug({ client: conn.id, remote: transport.remote }, 'rfb connection');
    conn.start();
  }

  private currentFrame(): ConvertedFrame | undefined {
    if (!this.frame && !this.next && !this.converting) {
      const latest = this.source.latestFrame();
      // Right after a resize the latest frame may still have the old size: wait for a new one.
      if (latest && latest.width === this.source.width && latest.height === this.source.height) {
        this.next = copyNv12(latest);
        this.convert();
      }
    }
    return this.frame;
  }

  private onAccessUnit(au: AccessUnit): void {
    this.unitsIn++;
    for (const c of this.conns) c.onAccessUnit(au);
  }

  /** Whether any client takes ZRLE/Raw pixels now (H.264-only clients need no NV12 frames). */
  private wantsPixels(): boolean {
    for (const c of this.conns) if (c.wantsPixels) return true;
    return false;
  }

  private onFrame(f: Nv12Frame): void {
    this.framesIn++;
    if (!this.wantsPixels()) {
      this.frame = undefined; // fetched from source.latestFrame() when next needed
      this.next = undefined;
      return;
    }
    // The one copy of this frame on the main thread; it is transferred to the pixel thread.
    // A frame still waiting to be handed over is replaced (skipped).
    this.next = copyNv12(f);
    this.convert();
  }

  /** The (pixel format, kind) pairs the ZRLE/Raw clients want now, once each. */
  private wanted(): PixelWant[] {
    const wants = new Map<string, PixelWant>();
    for (const c of this.conns) {
      const w = c.pixelWant;
      if (!w) continue;
      const key = pixelWantKey(w.pf, w.kind);
      if (!wants.has(key)) wants.set(key, { key, pf: { ...w.pf }, kind: w.kind });
    }
    return [...wants.values()];
  }

  /**
   * Starts the next conversion job unless one is running: the newest frame handed over, else the
   * formats the current frame lacks. Its result goes to the clients (in `onConverted`).
   */
  private convert(): void {
    if (this.converting || this.closed) return;
    const wants = this.wanted();
    let job: { frameId: number; frame?: PixelJobFrame; wants: PixelWant[] };
    let target: ConvertedFrame;
    if (this.next) {
      const f = this.next;
      this.next = undefined;
      this.needMore = false;
      if (wants.length === 0) return;
      job = { frameId: f.id, frame: f, wants };
      target = new ConvertedFrame(f.id, f.width, f.height);
    } else if (this.frame && this.needMore) {
      this.needMore = false;
      const frame = this.frame;
      const missing = wants.filter((w) => !frame.has(w.key));
      if (missing.length === 0) return;
      job = { frameId: frame.id, wants: missing };
      target = frame;
    } else return;
    this.converting = true;
    const generation = this.generation;
    void this.pixels.run(job).then((r) => {
      this.converting = false;
      this.onConverted(r, target, generation, job.frame !== undefined);
      this.convert();
    });
  }

  private onConverted(
    r: PixelResult,
    target: ConvertedFrame,
    generation: number,
    newFrame: boolean,
  ): void {
    if (this.closed || generation !== this.generation) return;
    if (r.error !== undefined) {
      this.log.debug({ frame: r.frameId, reason: r.error }, 'rfb frame conversion dropped');
      // Clients waiting for a first frame try again (from source.latestFrame()) at once.
      if (!this.frame) for (const c of this.conns) c.pump();
      return;
    }
    this.work.jobs++;
    this.work.lastThreadId = r.threadId;
    this.work.lastMs = r.ms;
    target.add(r.out);
    if (newFrame) {
      this.frame = target;
      for (const c of this.conns) c.onFrame();
    } else if (this.frame === target) {
      for (const c of this.conns) c.pump();
    }
  }

  private onResize(width: number, height: number): void {
    this.log.info({ width, height }, 'rfb stream resized');
    this.generation++;
    this.frame = undefined;
    this.next = undefined;
    this.needMore = false;
    for (const c of this.conns) c.onResize();
  }
}
