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
import { SharedFrame } from './frame-cache.ts';
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
}

const SILENT: RfbLogger = { info() {}, warn() {}, debug() {} };

/**
 * An RFB server over one {@link StreamSource}. Every client has its own send queue; a slow
 * client skips frames (H.264: waits for an IDR it requests) and never stalls the source or the
 * other clients. Bad client input closes that client only (logged with the reason).
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
  private frame: SharedFrame | undefined;
  private closed = false;
  private framesIn = 0;
  private unitsIn = 0;
  private peakInputBytes = 0;
  private pixelsScheduled = false;

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
    this.unsubscribe = this.source.subscribe({
      onAccessUnit: (au) => this.onAccessUnit(au),
      onFrame: (f) => this.onFrame(f),
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

  /** Turns forwarding of viewer input on or off at run time. */
  setInteraction(enabled: boolean): void {
    this.interaction = enabled;
  }

  /** Closes every client and listener and unsubscribes from the source. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
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

  private currentFrame(): SharedFrame | undefined {
    if (!this.frame) {
      const latest = this.source.latestFrame();
      // Right after a resize the latest frame may still have the old size: wait for a new one.
      if (latest && latest.width === this.source.width && latest.height === this.source.height) {
        this.frame = SharedFrame.copyOf(latest);
      }
    }
    return this.frame;
  }

  private onAccessUnit(au: AccessUnit): void {
    this.unitsIn++;
    for (const c of this.conns) c.onAccessUnit(au);
  }

  private onFrame(f: Nv12Frame): void {
    this.framesIn++;
    let wanted = false;
    for (const c of this.conns) if (c.wantsPixels) wanted = true;
    if (!wanted) {
      this.frame = undefined; // fetched from source.latestFrame() when next needed
      return;
    }
    this.frame = SharedFrame.copyOf(f);
    // Colour conversion and ZRLE tiling (milliseconds per frame) run after the engine's
    // callback has returned, never inside it; frames arriving meanwhile replace this one.
    if (!this.pixelsScheduled) {
      this.pixelsScheduled = true;
      setImmediate(() => {
        this.pixelsScheduled = false;
        if (this.closed) return;
        for (const c of this.conns) c.onFrame();
      });
    }
  }

  private onResize(width: number, height: number): void {
    this.log.info({ width, height }, 'rfb stream resized');
    this.frame = undefined;
    for (const c of this.conns) c.onResize();
  }
}
