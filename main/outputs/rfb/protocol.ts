/**
 * RFB wire constants, server message builders and a bounded input byte queue.
 *
 * Sources: RFC 6143 (The Remote Framebuffer Protocol) and the community extension document
 * "rfbproto" (https://github.com/rfbproto/rfbproto): Open H.264 (50), ZRLE (16), DesktopSize
 * (-223), ExtendedDesktopSize (-308), Fence (-312), ContinuousUpdates (-313).
 */

/** The version string the server announces (RFC 6143 §7.1.1). */
export const SERVER_VERSION = 'RFB 003.008\n';

/** Security types (RFC 6143 §7.1.2, §7.2). */
export const SecurityType = { Invalid: 0, None: 1, VncAuth: 2 } as const;

/** Encoding numbers (RFC 6143 §7.7, rfbproto). */
export const Encoding = {
  Raw: 0,
  CopyRect: 1,
  Zrle: 16,
  H264: 50,
  DesktopSize: -223,
  LastRect: -224,
  ExtendedDesktopSize: -308,
  Fence: -312,
  ContinuousUpdates: -313,
} as const;

/** Client-to-server message types (RFC 6143 §7.5, rfbproto). */
export const ClientMsg = {
  SetPixelFormat: 0,
  SetEncodings: 2,
  FramebufferUpdateRequest: 3,
  KeyEvent: 4,
  PointerEvent: 5,
  ClientCutText: 6,
  EnableContinuousUpdates: 150,
  ClientFence: 248,
  SetDesktopSize: 251,
} as const;

/** Server-to-client message types (RFC 6143 §7.6, rfbproto). */
export const ServerMsg = {
  FramebufferUpdate: 0,
  EndOfContinuousUpdates: 150,
  ServerFence: 248,
} as const;

/** Fence flags (rfbproto "Fence"). */
export const FenceFlag = {
  BlockBefore: 1 << 0,
  BlockAfter: 1 << 1,
  SyncNext: 1 << 2,
  Request: 0x80000000,
} as const;

/** Open H.264 rectangle flags (rfbproto "Open H.264 Encoding"). */
export const H264Flag = { ResetContext: 1, ResetAllContexts: 2 } as const;

/**
 * Hard limits on what a client may make the server hold. Anything announcing more closes that
 * client (logged); none of these can be raised by a client.
 */
export const RFB_LIMITS = Object.freeze({
  /** Entries in one SetEncodings message. */
  maxEncodings: 1024,
  /** Bytes of ClientCutText text accepted (and discarded). */
  maxCutText: 64 * 1024,
  /** Fence payload bytes (rfbproto: at most 64). */
  maxFencePayload: 64,
  /** Screens in one SetDesktopSize message. */
  maxScreens: 16,
  /** One WebSocket message (ws maxPayload). */
  maxWsMessage: 1024 * 1024,
  /**
   * Bytes of unparsed client input held per connection: one incoming chunk (a TCP read or a
   * WebSocket message) plus the longest incomplete message left over.
   */
  maxInputBytes: 1024 * 1024 + 80 * 1024,
  /** Milliseconds an incomplete message may wait for its remaining bytes. */
  partialMessageTimeoutMs: 15_000,
  /** Milliseconds from connect to ServerInit (the whole handshake). */
  handshakeTimeoutMs: 15_000,
  /**
   * Bytes a client may leave unread in its send queue before it is closed as "not reading"
   * (normal updates stop being queued far below this; only small replies could pile up).
   */
  maxOutputBytes: 40 * 1024 * 1024,
  /** Simultaneous connections per server (TCP and WebSocket together). */
  maxClients: 256,
});

/** A rectangle header: U16 x, y, w, h, S32 encoding (RFC 6143 §7.6.1). */
export function rectHeader(x: number, y: number, w: number, h: number, enc: number): Buffer {
  const b = Buffer.allocUnsafe(12);
  b.writeUInt16BE(x, 0);
  b.writeUInt16BE(y, 2);
  b.writeUInt16BE(w, 4);
  b.writeUInt16BE(h, 6);
  b.writeInt32BE(enc, 8);
  return b;
}

/** FramebufferUpdate header for `count` rectangles (RFC 6143 §7.6.1). */
export function fbuHeader(count: number): Buffer {
  const b = Buffer.alloc(4);
  b[0] = ServerMsg.FramebufferUpdate;
  b.writeUInt16BE(count, 2);
  return b;
}

/** A U32 big-endian. */
export function u32(v: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(v >>> 0, 0);
  return b;
}

/** A U32-length-prefixed UTF-8 string (reason strings, desktop name; RFC 6143 §7.1.2). */
export function lengthPrefixedString(s: string): Buffer {
  const text = Buffer.from(s, 'utf8');
  return Buffer.concat([u32(text.length), text]);
}

/**
 * An ExtendedDesktopSize pseudo-rectangle with one screen covering the framebuffer
 * (rfbproto "ExtendedDesktopSize"): x = reason (0 server, 1 this client, 2 another client),
 * y = status (0 ok, 1 prohibited, 2 out of resources, 3 invalid layout).
 */
export function extendedDesktopSizeRect(
  reason: number,
  status: number,
  width: number,
  height: number,
): Buffer {
  const body = Buffer.alloc(4 + 16);
  body[0] = 1; // number of screens
  body.writeUInt32BE(0, 4); // screen id
  body.writeUInt16BE(0, 8);
  body.writeUInt16BE(0, 10);
  body.writeUInt16BE(width, 12);
  body.writeUInt16BE(height, 14);
  body.writeUInt32BE(0, 16); // flags
  return Buffer.concat([
    rectHeader(reason, status, width, height, Encoding.ExtendedDesktopSize),
    body,
  ]);
}

/** A ServerFence message (rfbproto "ServerFence"). */
export function serverFence(flags: number, payload: Uint8Array): Buffer {
  const b = Buffer.alloc(9);
  b[0] = ServerMsg.ServerFence;
  b.writeUInt32BE(flags >>> 0, 4);
  b[8] = payload.length;
  return Buffer.concat([b, payload]);
}

/**
 * A FIFO of received bytes with a hard capacity: the connection pushes what the transport
 * delivers and takes whole messages off the front.
 */
export class ByteQueue {
  private chunks: Buffer[] = [];
  private head = 0;
  private size = 0;
  /** Largest `available` ever seen (for tests of the memory bound). */
  peak = 0;

  /** @param capacity bytes held at most; {@link push} reports overflow. */
  constructor(readonly capacity: number) {}

  /** Bytes waiting. */
  get available(): number {
    return this.size;
  }

  /** Appends a chunk. @returns false (and keeps nothing) when it would exceed the capacity. */
  push(chunk: Buffer): boolean {
    if (this.size + chunk.length > this.capacity) return false;
    if (chunk.length === 0) return true;
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.size > this.peak) this.peak = this.size;
    return true;
  }

  /** Byte at offset `i` from the front (0 if absent). */
  byteAt(i: number): number {
    let off = this.head + i;
    for (const c of this.chunks) {
      if (off < c.length) return c[off]!;
      off -= c.length;
    }
    return 0;
  }

  /** Copies the first `n` bytes without consuming them. Requires `n <= available`. */
  peek(n: number): Buffer {
    const first = this.chunks[0];
    if (first && first.length - this.head >= n) return first.subarray(this.head, this.head + n);
    const out = Buffer.allocUnsafe(n);
    let o = 0;
    let off = this.head;
    for (const c of this.chunks) {
      const k = Math.min(n - o, c.length - off);
      c.copy(out, o, off, off + k);
      o += k;
      off = 0;
      if (o === n) break;
    }
    return out;
  }

  /** Removes and returns the first `n` bytes. Requires `n <= available`. */
  take(n: number): Buffer {
    const out = this.peek(n);
    this.skip(n);
    return out;
  }

  /** Discards the first `n` bytes. */
  skip(n: number): void {
    this.size -= n;
    while (n > 0) {
      const c = this.chunks[0]!;
      const k = Math.min(n, c.length - this.head);
      this.head += k;
      n -= k;
      if (this.head === c.length) {
        this.chunks.shift();
        this.head = 0;
      }
    }
  }

  /** Drops everything. */
  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.size = 0;
  }
}

/** Whether a socket address is a loopback address (127.0.0.0/8, ::1, IPv4-mapped loopback). */
export function isLoopbackAddress(addr: string | undefined): boolean {
  if (!addr) return false;
  if (addr === '::1' || addr === 'localhost') return true;
  const v4 = addr.startsWith('::ffff:') ? addr.slice(7) : addr;
  return /^127\.\d+\.\d+\.\d+$/.test(v4);
}
