/**
 * The two byte transports an RFB connection runs over: a TCP socket (RFC 6143 §1) and a
 * WebSocket carrying the same byte stream in binary messages (the noVNC / websockify convention).
 */
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

/** What a connection needs from its transport. */
export interface RfbTransport {
  /** `tcp` or `ws`. */
  readonly kind: 'tcp' | 'ws';
  /** `address:port` of the peer, for logs. */
  readonly remote: string;
  /** The local address the peer connected to (decides whether security None is allowed). */
  readonly localAddress: string | undefined;
  /** Queues bytes for sending; never blocks. */
  write(data: Buffer): void;
  /** Bytes queued in user space and not yet handed to the kernel. */
  bufferedBytes(): number;
  /** Flushes what is queued, then closes. */
  end(): void;
  /** Closes at once. */
  destroy(): void;
  /** Registers the handlers (once). */
  start(handlers: TransportHandlers): void;
}

/** Callbacks from a transport to its connection. */
export interface TransportHandlers {
  /** Bytes received. */
  data(chunk: Buffer): void;
  /** The send queue got smaller (time to send more). */
  drain(): void;
  /** The transport closed (after an error or not); called once. */
  close(error?: Error): void;
  /** A protocol-level transport problem (e.g. a text WebSocket message). */
  invalid(reason: string): void;
}

/** Wraps a TCP socket. */
export function tcpTransport(socket: Socket): RfbTransport {
  socket.setNoDelay(true);
  return {
    kind: 'tcp',
    remote: `${socket.remoteAddress}:${socket.remotePort}`,
    localAddress: socket.localAddress,
    write: (data) => {
      if (!socket.destroyed) socket.write(data);
    },
    bufferedBytes: () => socket.writableLength,
    end: () => {
      socket.end();
      setTimeout(() => socket.destroy(), 2000).unref();
    },
    destroy: () => socket.destroy(),
    start(h) {
      let closed = false;
      let lastError: Error | undefined;
      socket.on('data', (c: Buffer) => h.data(c));
      socket.on('drain', () => h.drain());
      socket.on('error', (e) => (lastError = e));
      socket.on('close', () => {
        if (closed) return;
        closed = true;
        h.close(lastError);
      });
    },
  };
}

/** Wraps an open WebSocket (binary messages carry the RFB byte stream). */
export function wsTransport(
  ws: WebSocket,
  remoteAddress: string | undefined,
  remotePort: number | undefined,
  localAddress: string | undefined,
): RfbTransport {
  let handlers: TransportHandlers | undefined;
  return {
    kind: 'ws',
    remote: `${remoteAddress}:${remotePort}`,
    localAddress,
    write: (data) => {
      if (ws.readyState !== ws.OPEN) return;
      ws.send(data, { binary: true }, () => handlers?.drain());
    },
    bufferedBytes: () => ws.bufferedAmount,
    end: () => {
      ws.close(1000);
      setTimeout(() => ws.terminate(), 2000).unref();
    },
    destroy: () => ws.terminate(),
    start(h) {
      handlers = h;
      let closed = false;
      let lastError: Error | undefined;
      ws.on('message', (data, isBinary) => {
        if (!isBinary) return h.invalid('text WebSocket message');
        const buf = Array.isArray(data)
          ? Buffer.concat(data)
          : Buffer.isBuffer(data)
            ? data
            : Buffer.from(data);
        h.data(buf);
      });
      ws.on('error', (e) => (lastError = e));
      ws.on('close', () => {
        if (closed) return;
        closed = true;
        h.close(lastError);
      });
    },
  };
}
