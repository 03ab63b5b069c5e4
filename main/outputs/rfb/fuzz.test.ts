/**
 * Property/fuzz test (issue 5): ≥ 10,000 malformed client messages over many TCP (and some
 * WebSocket) connections. The server never crashes, never holds more client input than
 * RFB_LIMITS.maxInputBytes per connection, closes offending clients with a logged reason, and a
 * well-behaved ZRLE client and an H.264 client connected meanwhile keep receiving frames.
 */
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { RfbTestClient } from '../../../e2e/support/rfb-client.ts';
import { TestPatternSource, worstBarError } from '../../../e2e/support/rfb-source.ts';
import { DEFAULT_PIXEL_FORMAT, encodePixelFormat } from './pixel-format.ts';
import { Encoding, RFB_LIMITS } from './protocol.ts';
import { RfbServer } from './server.ts';
import { closeReasonLog } from './test-support.ts';
import { rng } from '../../../e2e/support/rng.ts';
import { vncAuthResponse } from './vnc-auth.ts';

const W = 320;
const H = 180;
const TARGET_MESSAGES = 10_000;

const rand = rng(0x5eed);
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));

// ---- message makers (client → server, RFC 6143 §7.5 + rfbproto) ----
function msg(type: number, len: number, fill: (b: Buffer) => void = () => {}): Buffer {
  const b = Buffer.alloc(len);
  b[0] = type;
  fill(b);
  return b;
}
const setEncodings = (list: number[]) =>
  msg(2, 4 + 4 * list.length, (b) => {
    b.writeUInt16BE(list.length, 2);
    list.forEach((e, i) => b.writeInt32BE(e, 4 + 4 * i));
  });
const fbur = (inc: number, x: number, y: number, w: number, h: number) =>
  msg(3, 10, (b) => {
    b[1] = inc;
    b.writeUInt16BE(x, 2);
    b.writeUInt16BE(y, 4);
    b.writeUInt16BE(w, 6);
    b.writeUInt16BE(h, 8);
  });
const cutText = (len: number, body = 0) =>
  msg(6, 8 + body, (b) => {
    b.writeInt32BE(len, 4);
  });
const fence = (flags: number, len: number, body = len) =>
  msg(248, 9 + body, (b) => {
    b.writeUInt32BE(flags >>> 0, 4);
    b[8] = len;
  });
const pixelFormat = (over: Partial<typeof DEFAULT_PIXEL_FORMAT>) =>
  Buffer.concat([
    Buffer.from([0, 0, 0, 0]),
    encodePixelFormat({ ...DEFAULT_PIXEL_FORMAT, ...over }),
  ]);

/** Malformed but parseable messages the server tolerates (ignores or clamps). */
const tolerated: (() => Buffer)[] = [
  () => fbur(int(2), int(65536), int(65536), int(65536), int(65536)), // outside the framebuffer
  () => msg(5, 6, (b) => b.set(bytes(5), 1)), // pointer anywhere, any mask
  () => msg(4, 8, (b) => b.set(bytes(7), 1)), // any keysym, odd padding
  () => setEncodings(Array.from({ length: int(40) }, () => (rand() * 2 ** 32) | 0)), // garbage encodings
  () => setEncodings([]),
  () => {
    const n = int(200);
    return Buffer.concat([cutText(n), bytes(n)]); // clipboard text: read and dropped
  },
  () => Buffer.concat([cutText(-20), bytes(20)]), // extended clipboard with junk
  () => fence(int(2 ** 31), int(65)), // fence response nobody asked for, random flags
  () => fence(0x80000000 | int(8), int(65)), // fence request, random payload
  () => msg(251, 8 + 16, (b) => (b[6] = 1)), // SetDesktopSize nobody can honour
];

/** Messages that must close the connection (with a logged reason). */
const fatal: [string, () => Buffer][] = [
  [
    'unknown client message type',
    () =>
      Buffer.concat([
        Buffer.from([pick([1, 7, 8, 9, 127, 149, 151, 200, 247, 249, 250, 252, 253, 254, 255])]),
        bytes(int(32)),
      ]),
  ],
  [
    'ClientCutText announces',
    () => cutText(pick([2 ** 31 - 1, -(2 ** 31), RFB_LIMITS.maxCutText + 1, 1e9 | 0])),
  ],
  [
    'SetEncodings announces',
    () => msg(2, 4, (b) => b.writeUInt16BE(pick([1025, 40_000, 65_535]), 2)),
  ],
  ['ClientFence payload', () => fence(0x80000000, 65 + int(190), 0)],
  ['SetDesktopSize with', () => msg(251, 8, (b) => (b[6] = 17 + int(239)))],
  [
    'SetPixelFormat',
    () =>
      pixelFormat(
        pick([
          { bitsPerPixel: pick([0, 1, 24, 64, 255]) },
          { trueColour: false },
          { redMax: 0 },
          { greenMax: 1000 },
          { blueShift: 40 },
        ]),
      ),
  ],
  ['EnableContinuousUpdates without', () => msg(150, 10, (b) => (b[1] = 1))],
];

interface Plan {
  chunks: Buffer[];
  messages: number;
  /** Substring expected in the close reason ('' = the client closes itself). */
  expect: string;
}

/** One fuzz connection: a handshake (sometimes broken) and a stream of bad messages. */
function plan(): Plan {
  const parts: Buffer[] = [];
  let messages = 0;
  let expect = '';
  const kind = rand();
  if (kind < 0.08) {
    const v = pick(['RFB 004.000\n', 'GET / HTTP/1.1\r\n', 'RFB 003.00x\n', 'RFB 3.8\n\n\n\n\n\n']);
    parts.push(Buffer.from(v, 'latin1'));
    messages = 1;
    expect = v.startsWith('RFB 004') ? 'unsupported protocol version' : 'bad ProtocolVersion';
  } else if (kind < 0.12) {
    parts.push(Buffer.from('RFB 003.008\n'), Buffer.from([pick([0, 2, 5, 16, 255])]));
    messages = 1;
    expect = 'was not offered';
  } else {
    parts.push(Buffer.from(pick(['RFB 003.003\n', 'RFB 003.007\n', 'RFB 003.008\n'])));
    if (!parts[0]!.toString().endsWith('3\n')) parts.push(Buffer.from([1]));
    parts.push(Buffer.from([int(256)])); // ClientInit, any shared flag
    for (let n = int(25); n > 0; n--) {
      parts.push(pick(tolerated)());
      messages++;
    }
    const end = rand();
    if (end < 0.75) {
      const [reason, make] = pick(fatal);
      parts.push(make());
      messages++;
      expect = reason;
    } else if (end < 0.9) {
      // Truncated: part of a message, then the client hangs up.
      const m = pick(tolerated)();
      parts.push(m.subarray(0, Math.max(1, int(m.length))));
      messages++;
    } else {
      parts.push(bytes(1 + int(300))); // pure noise
      messages++;
    }
  }
  // Split the byte stream at random points so the parser sees every kind of boundary.
  const all = Buffer.concat(parts);
  const chunks: Buffer[] = [];
  for (let o = 0; o < all.length;) {
    const k = 1 + int(Math.min(64, all.length - o));
    chunks.push(all.subarray(o, o + k));
    o += k;
  }
  return { chunks, messages, expect };
}

async function runPlan(port: number, p: Plan): Promise<void> {
  const sock = connect(port, '127.0.0.1');
  sock.on('error', () => {});
  sock.resume(); // discard what the server says
  await new Promise<void>((r) => sock.once('connect', () => r()));
  const closed = new Promise<void>((r) => sock.once('close', () => r()));
  for (const c of p.chunks) {
    if (sock.destroyed) break;
    sock.write(c);
    if (rand() < 0.2) await new Promise((r) => setImmediate(r));
  }
  // Server-closed plans finish by themselves; otherwise hang up after a moment.
  await Promise.race([closed, new Promise((r) => setTimeout(r, p.expect ? 2000 : 20))]);
  sock.destroy();
  await closed;
}

let source: TestPatternSource;
let server: RfbServer;
let port = 0;
const reasons: string[] = [];
const log = closeReasonLog(reasons);

beforeAll(async () => {
  source = new TestPatternSource({ width: W, height: H, fps: 30, keyint: 15 });
  await source.start();
  server = new RfbServer({ source, log, password: undefined });
  port = (await server.listen('127.0.0.1', 0)).port;
});

afterAll(async () => {
  await server?.close();
  source?.stop();
});

describe('fuzz: malformed client messages', () => {
  it(`survives ≥ ${TARGET_MESSAGES} malformed messages; good clients keep receiving frames`, async () => {
    // Well-behaved clients: ZRLE (request-driven) and H.264 (continuous updates).
    const zrle = await RfbTestClient.connect({ port });
    zrle.setEncodings([Encoding.Zrle]);
    const h264 = await RfbTestClient.connect({ port, decode: false });
    h264.setEncodings([Encoding.H264, Encoding.ContinuousUpdates]);
    h264.enableContinuousUpdates(true);
    let stop = false;
    const gaps = { zrle: [] as number[], h264: [] as number[] };
    const watch = async (c: RfbTestClient, name: 'zrle' | 'h264', request: boolean) => {
      let last = Date.now();
      let n = 0;
      while (!stop) {
        if (request) c.requestUpdate(n > 0);
        await c.nextUpdate(5000);
        const now = Date.now();
        gaps[name].push(now - last);
        last = now;
        n++;
      }
      return n;
    };
    const watchers = Promise.all([watch(zrle, 'zrle', true), watch(h264, 'h264', false)]);

    const mem0 = process.memoryUsage();
    let sent = 0;
    let connections = 0;
    const expected: string[] = [];
    const t0 = Date.now();
    const worker = async () => {
      while (sent < TARGET_MESSAGES) {
        const p = plan();
        sent += p.messages;
        connections++;
        if (p.expect) expected.push(p.expect);
        await runPlan(port, p);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));

    // A few over WebSocket: a text message, and a message above maxPayload.
    const http = createServer();
    http.on('upgrade', (req, s, head) => server.handleUpgrade(req, s, head));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const wsPort = (http.address() as AddressInfo).port;
    for (const payload of ['RFB 003.008\n', Buffer.alloc(RFB_LIMITS.maxWsMessage + 1)]) {
      const ws = new WebSocket(`ws://127.0.0.1:${wsPort}/rfb`);
      ws.on('error', () => {});
      await new Promise((r) => ws.once('open', r));
      ws.send(payload);
      await new Promise((r) => ws.once('close', r));
      sent++;
    }
    http.close();
    const fuzzMs = Date.now() - t0;

    // A 2 GiB ClientCutText announcement from a connection that did the handshake right.
    const big = await RfbTestClient.connect({ port });
    big.write(cutText(2 ** 31 - 1));
    await big.waitClosed();
    sent++;

    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    const [nZrle, nH264] = await watchers;
    const mem1 = process.memoryUsage();

    console.log(
      `fuzz: ${sent} malformed messages over ${connections} connections in ${fuzzMs} ms; ` +
        `good clients got ${nZrle} ZRLE and ${nH264} H.264 updates; ` +
        `max gap ${Math.max(...gaps.zrle)} / ${Math.max(...gaps.h264)} ms; ` +
        `peak input ${server.totals.peakInputBytes} B; heap +${((mem1.heapUsed - mem0.heapUsed) / 2 ** 20).toFixed(1)} MiB`,
    );
    expect(sent).toBeGreaterThanOrEqual(TARGET_MESSAGES);
    // The server is alive and every fuzz connection is gone.
    expect(server.clients.filter((c) => c.state !== 'normal' || c.encoding === 'raw').length).toBe(
      0,
    );
    expect(server.clients.length).toBe(2);
    // Never held more input than the bound (a 2 GiB announcement allocated nothing).
    expect(server.totals.peakInputBytes).toBeLessThanOrEqual(RFB_LIMITS.maxInputBytes);
    expect(mem1.arrayBuffers - mem0.arrayBuffers).toBeLessThan(64 * 2 ** 20);
    // Every kind of fatal input was closed with its reason logged.
    for (const [reason] of fatal) {
      if (expected.includes(reason))
        expect(
          reasons.some((r) => r.includes(reason)),
          reason,
        ).toBe(true);
    }
    expect(reasons.some((r) => r.includes('ClientCutText announces 2147483647'))).toBe(true);
    expect(reasons.some((r) => r.includes('text WebSocket message'))).toBe(true);
    // The good clients kept receiving frames the whole time (30 fps source).
    expect(nZrle).toBeGreaterThan((fuzzMs / 1000) * 5);
    expect(nH264).toBeGreaterThan((fuzzMs / 1000) * 10);
    expect(Math.max(...gaps.zrle, ...gaps.h264)).toBeLessThan(2000);
    expect(worstBarError(W, H, (x, y) => zrle.rgbAt(x, y))).toBeLessThanOrEqual(2);
    zrle.close();
    h264.close();
  });

  it('a wrong VNC password and random auth responses are refused without harm', async () => {
    const locked = new RfbServer({ source, log, password: 'pw' });
    const p = (await locked.listen('127.0.0.1', 0)).port;
    for (let i = 0; i < 50; i++) {
      const sock = connect(p, '127.0.0.1');
      sock.on('error', () => {});
      const got: Buffer[] = [];
      sock.on('data', (d: Buffer) => {
        got.push(d);
        const all = Buffer.concat(got);
        if (all.length === 12) sock.write('RFB 003.008\n');
        if (all.length === 14) sock.write(Buffer.from([2]));
        if (all.length === 30) {
          sock.write(i % 2 ? bytes(16) : vncAuthResponse('PW', all.subarray(14, 30)));
        }
      });
      await new Promise((r) => sock.once('close', r));
      const all = Buffer.concat(got);
      expect(all.readUInt32BE(30)).toBe(1);
      expect(all.subarray(38).toString()).toMatch(/Authentication failed/);
    }
    expect(locked.clients.length).toBe(0);
    await locked.close();
  });
});
