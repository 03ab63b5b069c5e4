/**
 * Test support (not product): a small RFB client over TCP for unit tests, the fuzz test and the
 * benchmark. It performs the handshake (3.3 / 3.7 / 3.8, None or VNC auth), then reads server
 * messages; with `decode` it keeps a framebuffer of pixel values from Raw and ZRLE rectangles
 * (its own ZRLE decoder) and records H.264 rectangles.
 */
import { connect, type Socket } from 'node:net';
import { constants as zc, createInflate, type Inflate } from 'node:zlib';
import {
  decodePixelFormat,
  pixelValueToRgb,
  type PixelFormat,
} from '../../main/outputs/rfb/pixel-format.ts';
import { encodePixelFormat } from '../../main/outputs/rfb/pixel-format.ts';
import { decodeZrleTiles } from '../../main/outputs/rfb/zrle.ts';
import { vncAuthResponse } from '../../main/outputs/rfb/vnc-auth.ts';

/** One received rectangle. */
export interface TestRect {
  x: number;
  y: number;
  w: number;
  h: number;
  encoding: number;
  /** H.264: the rectangle's flags and Annex B payload. */
  h264?: { flags: number; data: Buffer };
  /** ExtendedDesktopSize: reason (x) and status (y). */
  bytes?: number;
}

/** One FramebufferUpdate. */
export interface TestUpdate {
  rects: TestRect[];
  /** Bytes the update took on the wire. */
  bytes: number;
}

/** Options of {@link RfbTestClient.connect}. */
export interface TestClientOptions {
  port: number;
  host?: string;
  /** Version the client answers with (default 3.8). */
  version?: '3.3' | '3.7' | '3.8';
  password?: string;
  /** Keep a decoded framebuffer (default true). */
  decode?: boolean;
}

/** Thrown when the server refuses the connection during the handshake. */
export class HandshakeError extends Error {}

/** A test RFB client; see the module doc. */
export class RfbTestClient {
  width = 0;
  height = 0;
  name = '';
  serverPf!: PixelFormat;
  pf!: PixelFormat;
  /** Pixel values of the framebuffer in {@link pf} (decode mode). */
  fb = new Uint32Array(0);
  /** Server messages other than updates, by type (150 EndOfContinuousUpdates, 248 fence...). */
  readonly otherMessages: { type: number; data?: Buffer }[] = [];
  updates = 0;
  closed = false;
  private chunks: Buffer[] = [];
  private have = 0;
  private waiter: (() => void) | undefined;
  private inflater: Inflate | undefined;
  private readonly decode: boolean;

  private constructor(
    private readonly socket: Socket,
    decode: boolean,
  ) {
    this.decode = decode;
    socket.on('data', (c: Buffer) => {
      this.chunks.push(c);
      this.have += c.length;
      this.waiter?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
    socket.on('error', () => {});
  }

  /** Connects and completes the handshake up to ServerInit. @throws HandshakeError on refusal. */
  static async connect(opts: TestClientOptions): Promise<RfbTestClient> {
    const socket = connect(opts.port, opts.host ?? '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.setNoDelay(true);
    const c = new RfbTestClient(socket, opts.decode ?? true);
    try {
      await c.handshake(opts.version ?? '3.8', opts.password);
    } catch (e) {
      socket.destroy();
      throw e;
    }
    return c;
  }

  private async handshake(version: '3.3' | '3.7' | '3.8', password?: string): Promise<void> {
    const sv = (await this.read(12)).toString('latin1');
    if (!sv.startsWith('RFB 003.')) throw new HandshakeError(`bad server version ${sv}`);
    this.write(Buffer.from(`RFB 003.00${version.slice(2)}\n`, 'latin1'));
    let type: number;
    if (version === '3.3') {
      type = (await this.read(4)).readUInt32BE(0);
      if (type === 0) throw new HandshakeError(await this.readString());
    } else {
      const n = (await this.read(1))[0]!;
      if (n === 0) throw new HandshakeError(await this.readString());
      const types = [...(await this.read(n))];
      type = types.includes(2) && password !== undefined ? 2 : types[0]!;
      this.write(Buffer.from([type]));
    }
    if (type === 2) {
      const challenge = await this.read(16);
      this.write(vncAuthResponse(password ?? '', challenge));
    }
    if (type === 2 || version === '3.8') {
      const result = (await this.read(4)).readUInt32BE(0);
      if (result !== 0) {
        throw new HandshakeError(
          version === '3.8' ? await this.readString() : 'security result: failed',
        );
      }
    } else if (type !== 1) {
      throw new HandshakeError(`unexpected security type ${type}`);
    }
    this.write(Buffer.from([1])); // ClientInit, shared
    const init = await this.read(24);
    this.width = init.readUInt16BE(0);
    this.height = init.readUInt16BE(2);
    this.serverPf = decodePixelFormat(init, 4);
    this.pf = this.serverPf;
    this.name = await this.readStringBody(init.readUInt32BE(20));
    this.fb = new Uint32Array(this.width * this.height);
  }

  /** Sends raw bytes (for malformed-input tests). */
  write(b: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(b);
  }

  /** SetPixelFormat (RFC 6143 §7.5.1). */
  setPixelFormat(pf: PixelFormat): void {
    this.pf = pf;
    this.write(Buffer.concat([Buffer.from([0, 0, 0, 0]), encodePixelFormat(pf)]));
  }

  /** SetEncodings (RFC 6143 §7.5.2). */
  setEncodings(list: number[]): void {
    const b = Buffer.alloc(4 + 4 * list.length);
    b[0] = 2;
    b.writeUInt16BE(list.length, 2);
    list.forEach((e, i) => b.writeInt32BE(e, 4 + 4 * i));
    this.write(b);
  }

  /** FramebufferUpdateRequest for the whole framebuffer (RFC 6143 §7.5.3). */
  requestUpdate(incremental: boolean): void {
    const b = Buffer.alloc(10);
    b[0] = 3;
    b[1] = incremental ? 1 : 0;
    b.writeUInt16BE(this.width, 6);
    b.writeUInt16BE(this.height, 8);
    this.write(b);
  }

  /** EnableContinuousUpdates (rfbproto). */
  enableContinuousUpdates(enable: boolean): void {
    const b = Buffer.alloc(10);
    b[0] = 150;
    b[1] = enable ? 1 : 0;
    b.writeUInt16BE(this.width, 6);
    b.writeUInt16BE(this.height, 8);
    this.write(b);
  }

  /** PointerEvent (RFC 6143 §7.5.5). */
  pointer(x: number, y: number, mask: number): void {
    const b = Buffer.alloc(6);
    b[0] = 5;
    b[1] = mask;
    b.writeUInt16BE(x, 2);
    b.writeUInt16BE(y, 4);
    this.write(b);
  }

  /** KeyEvent (RFC 6143 §7.5.4). */
  key(keysym: number, down: boolean): void {
    const b = Buffer.alloc(8);
    b[0] = 4;
    b[1] = down ? 1 : 0;
    b.writeUInt32BE(keysym, 4);
    this.write(b);
  }

  /** Closes the socket. */
  close(): void {
    this.socket.destroy();
  }

  /** RGB of framebuffer pixel (x, y) (decode mode). */
  rgbAt(x: number, y: number): [number, number, number] {
    return pixelValueToRgb(this.fb[y * this.width + x]!, this.pf);
  }

  /**
   * Reads server messages until a FramebufferUpdate has been read and returns it.
   * @throws Error on timeout or when the server closes.
   */
  async nextUpdate(timeoutMs = 10_000): Promise<TestUpdate> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const type = (await this.read(1, deadline))[0]!;
      if (type === 0) return this.readUpdate(deadline);
      if (type === 150) this.otherMessages.push({ type });
      else if (type === 248) {
        const h = await this.read(8, deadline);
        const data = await this.read(h[7]!, deadline);
        this.otherMessages.push({ type, data: Buffer.concat([h, data]) });
      } else if (type === 2) this.otherMessages.push({ type });
      else if (type === 3) {
        const h = await this.read(7, deadline);
        await this.read(h.readUInt32BE(3), deadline);
        this.otherMessages.push({ type });
      } else throw new Error(`unexpected server message ${type}`);
    }
  }

  private async readUpdate(deadline: number): Promise<TestUpdate> {
    const h = await this.read(3, deadline);
    const n = h.readUInt16BE(1);
    const rects: TestRect[] = [];
    let bytes = 4;
    for (let i = 0; i < n; i++) {
      const r = await this.read(12, deadline);
      bytes += 12;
      const rect: TestRect = {
        x: r.readUInt16BE(0),
        y: r.readUInt16BE(2),
        w: r.readUInt16BE(4),
        h: r.readUInt16BE(6),
        encoding: r.readInt32BE(8),
      };
      if (rect.encoding === 0) {
        const len = rect.w * rect.h * (this.pf.bitsPerPixel / 8);
        const data = await this.read(len, deadline);
        bytes += len;
        if (this.decode) this.putRaw(rect, data);
      } else if (rect.encoding === 16) {
        const len = (await this.read(4, deadline)).readUInt32BE(0);
        const data = await this.read(len, deadline);
        bytes += 4 + len;
        if (this.decode) {
          const raw = await this.inflate(data);
          const px = decodeZrleTiles(raw, rect.w, rect.h, this.pf);
          for (let y = 0; y < rect.h; y++) {
            this.fb.set(
              px.subarray(y * rect.w, (y + 1) * rect.w),
              (rect.y + y) * this.width + rect.x,
            );
          }
        }
      } else if (rect.encoding === 50) {
        const hh = await this.read(8, deadline);
        const len = hh.readUInt32BE(0);
        const data = await this.read(len, deadline);
        bytes += 8 + len;
        rect.h264 = { flags: hh.readUInt32BE(4), data };
      } else if (rect.encoding === -223) {
        this.resizeTo(rect.w, rect.h);
      } else if (rect.encoding === -308) {
        const s = await this.read(4, deadline);
        await this.read(16 * s[0]!, deadline);
        bytes += 4 + 16 * s[0]!;
        if (rect.y === 0) this.resizeTo(rect.w, rect.h);
      } else {
        throw new Error(`unexpected encoding ${rect.encoding}`);
      }
      rects.push(rect);
    }
    this.updates++;
    return { rects, bytes };
  }

  private resizeTo(w: number, h: number): void {
    this.width = w;
    this.height = h;
    this.fb = new Uint32Array(w * h);
  }

  private putRaw(rect: TestRect, data: Buffer): void {
    const bpp = this.pf.bitsPerPixel / 8;
    for (let y = 0; y < rect.h; y++) {
      for (let x = 0; x < rect.w; x++) {
        const o = (y * rect.w + x) * bpp;
        let v: number;
        if (bpp === 4) v = this.pf.bigEndian ? data.readUInt32BE(o) : data.readUInt32LE(o);
        else if (bpp === 2) v = this.pf.bigEndian ? data.readUInt16BE(o) : data.readUInt16LE(o);
        else v = data[o]!;
        this.fb[(rect.y + y) * this.width + rect.x + x] = v;
      }
    }
  }

  private inflate(data: Buffer): Promise<Buffer> {
    this.inflater ??= createInflate();
    const inf = this.inflater;
    const out: Buffer[] = [];
    const onData = (c: Buffer) => out.push(c);
    inf.on('data', onData);
    return new Promise((resolve, reject) => {
      inf.once('error', reject);
      inf.write(data);
      inf.flush(zc.Z_SYNC_FLUSH, () => {
        inf.off('data', onData);
        inf.off('error', reject);
        resolve(Buffer.concat(out));
      });
    });
  }

  private async readString(): Promise<string> {
    const n = (await this.read(4)).readUInt32BE(0);
    return this.readStringBody(n);
  }

  private async readStringBody(n: number): Promise<string> {
    return (await this.read(n)).toString('utf8');
  }

  /** Waits for and consumes `n` bytes. @throws Error on close or deadline. */
  async read(n: number, deadline = Date.now() + 10_000): Promise<Buffer> {
    while (this.have < n) {
      if (this.closed) throw new Error(`connection closed (wanted ${n} bytes, have ${this.have})`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${n} bytes`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.have -= n;
    return out;
  }

  /** Resolves when the server has closed the connection (or rejects after `timeoutMs`). */
  async waitClosed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('server did not close the connection');
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
