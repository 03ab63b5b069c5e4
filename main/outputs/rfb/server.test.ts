/**
 * Protocol tests of RfbServer with a real test source (NV12 pattern + ffmpeg H.264) and a real
 * TCP client: handshake per version, security, encodings, resize, continuous updates, fence,
 * input, and a slow client that must not hold the others back.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { HandshakeError, RfbTestClient } from '../../../e2e/support/rfb-client.ts';
import { TestPatternSource, worstBarError as barError } from '../../../e2e/support/rfb-source.ts';
import { DEFAULT_PIXEL_FORMAT } from './pixel-format.ts';
import { closeReasonLog, RGB565_BE } from './test-support.ts';
import { Encoding } from './protocol.ts';
import { RfbServer, type RfbInputSink } from './server.ts';
import type { StreamListener, StreamSource } from '../../engine/contracts.ts';

const W = 320;
const H = 180;
const PASSWORD = 'hunter2';

let source: TestPatternSource;
let server: RfbServer;
let locked: RfbServer;
let port = 0;
let lockedPort = 0;
const inputs: string[] = [];
const closes: string[] = [];
const sink: RfbInputSink = {
  pointer: (x, y, m) => inputs.push(`p ${x} ${y} ${m}`),
  key: (k, d) => inputs.push(`k ${k} ${d}`),
};
const log = closeReasonLog(closes);

beforeAll(async () => {
  source = new TestPatternSource({ width: W, height: H, fps: 30, keyint: 15 });
  await source.start();
  server = new RfbServer({ source, log, interaction: true, input: sink });
  locked = new RfbServer({ source, log, password: PASSWORD });
  port = (await server.listen('127.0.0.1', 0)).port;
  lockedPort = (await locked.listen('127.0.0.1', 0)).port;
});

afterAll(async () => {
  await server?.close();
  await locked?.close();
  source?.stop();
});

/** {@link barError} of what client `c` shows. */
function worstBarError(c: RfbTestClient): number {
  return barError(c.width, c.height, (x, y) => c.rgbAt(x, y));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('handshake (RFC 6143 §7.1-7.3)', () => {
  for (const version of ['3.3', '3.7', '3.8'] as const) {
    it(`RFB ${version}: security None on loopback, ServerInit with size, format and name`, async () => {
      const c = await RfbTestClient.connect({ port, version });
      expect([c.width, c.height]).toEqual([W, H]);
      expect(c.serverPf).toEqual(DEFAULT_PIXEL_FORMAT);
      expect(c.name).toBe('Zerocast');
      await sleep(20);
      expect(
        server.clients.find((s) => s.state === 'normal' && s.version === version),
      ).toBeTruthy();
      c.close();
    });

    it(`RFB ${version}: VNC authentication, right and wrong password`, async () => {
      const ok = await RfbTestClient.connect({ port: lockedPort, version, password: PASSWORD });
      expect(ok.width).toBe(W);
      ok.close();
      const bad = RfbTestClient.connect({ port: lockedPort, version, password: 'wrong' });
      if (version === '3.8') await expect(bad).rejects.toThrow(/Authentication failed/);
      else await expect(bad).rejects.toThrow(HandshakeError);
    });
  }

  it('treats 3.5 as 3.3 and 3.889 as 3.8; closes on garbage versions', async () => {
    const raw = async (version: string) => {
      const c = await rawSocket(port);
      await c.read(12);
      c.write(Buffer.from(version, 'latin1'));
      return c;
    };
    const a = await raw('RFB 003.005\n');
    expect((await a.read(4)).readUInt32BE(0)).toBe(1); // 3.3: server picks None
    a.close();
    const b = await raw('RFB 003.889\n');
    expect([...(await b.read(2))]).toEqual([1, 1]); // 3.7+: list of one type, None
    b.close();
    const c = await raw('HELLO WORLD!');
    await c.waitClosed();
    expect(closes.some((r) => r.includes('bad ProtocolVersion'))).toBe(true);
  });

  it('refuses to bind a non-loopback interface without a password', async () => {
    const s = new RfbServer({ source });
    await expect(s.listen('0.0.0.0', 0)).rejects.toThrow(/requires VNC authentication/);
    await s.close();
  });

  const external = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
  it.skipIf(!external)(
    'refuses security None to a WebSocket client on a non-loopback interface',
    async () => {
      const s = new RfbServer({ source, log });
      const http = createServer();
      http.on('upgrade', (req, sock, head) => s.handleUpgrade(req, sock, head));
      await new Promise<void>((r) => http.listen(0, external, r));
      const ws = new WebSocket(`ws://${external}:${(http.address() as AddressInfo).port}/rfb`);
      const got: Buffer[] = [];
      ws.on('message', (d) => {
        got.push(d as Buffer);
        if (got.length === 1) ws.send(Buffer.from('RFB 003.008\n'));
      });
      await new Promise((r) => ws.on('close', r));
      const all = Buffer.concat(got);
      expect(all.subarray(0, 12).toString()).toBe('RFB 003.008\n');
      expect(all[12]).toBe(0); // zero security types, then the reason
      expect(all.subarray(17).toString()).toMatch(/VNC authentication is required/);
      await s.close();
      http.close();
    },
  );
});

describe('framebuffer updates', () => {
  it('ZRLE (32 bpp xbgr, as noVNC asks): the bars within ±2', async () => {
    const c = await RfbTestClient.connect({ port });
    c.setPixelFormat({ ...DEFAULT_PIXEL_FORMAT, redShift: 0, greenShift: 8, blueShift: 16 });
    c.setEncodings([Encoding.Zrle, Encoding.Raw]);
    c.requestUpdate(false);
    const u = await c.nextUpdate();
    expect(u.rects.map((r) => r.encoding)).toEqual([Encoding.Zrle]);
    expect(worstBarError(c)).toBeLessThanOrEqual(2);
    // Incremental requests get newer frames.
    for (let i = 0; i < 5; i++) {
      c.requestUpdate(true);
      await c.nextUpdate();
    }
    expect(worstBarError(c)).toBeLessThanOrEqual(2);
    c.close();
  });

  it('Raw in 16 bpp big-endian 565 and ZRLE in 8 bpp: the bars within the format precision', async () => {
    const c = await RfbTestClient.connect({ port, version: '3.3' });
    c.setPixelFormat(RGB565_BE);
    c.setEncodings([Encoding.Raw]);
    c.requestUpdate(false);
    expect((await c.nextUpdate()).rects[0]!.encoding).toBe(Encoding.Raw);
    expect(worstBarError(c)).toBeLessThanOrEqual(6);
    c.setPixelFormat({
      ...DEFAULT_PIXEL_FORMAT,
      bitsPerPixel: 8,
      depth: 8,
      redMax: 7,
      greenMax: 7,
      blueMax: 3,
      redShift: 5,
      greenShift: 2,
      blueShift: 0,
    });
    c.setEncodings([Encoding.Zrle]);
    c.requestUpdate(false);
    expect((await c.nextUpdate()).rects[0]!.encoding).toBe(Encoding.Zrle);
    expect(worstBarError(c)).toBeLessThanOrEqual(43);
    c.close();
  });

  it('Open H.264: the first rectangle is an IDR with ResetContext; then P frames in order', async () => {
    const before = source.keyframeRequests.length;
    const c = await RfbTestClient.connect({ port });
    c.setEncodings([Encoding.H264, Encoding.Zrle, Encoding.ContinuousUpdates]);
    c.requestUpdate(false);
    // EndOfContinuousUpdates comes first (announcing support), then the update.
    expect((await c.nextUpdate()).rects.at(-1)!.encoding).toBe(Encoding.H264);
    expect(c.otherMessages.some((m) => m.type === 150)).toBe(true);
    c.close();
    expect(source.keyframeRequests.length).toBeGreaterThan(before);

    const d = await RfbTestClient.connect({ port });
    d.setEncodings([Encoding.H264]);
    d.requestUpdate(false);
    const first = (await d.nextUpdate()).rects[0]!;
    expect(first.encoding).toBe(Encoding.H264);
    expect([first.w, first.h]).toEqual([W, H]);
    expect(first.h264!.flags).toBe(1);
    // IDR: an SPS (7) and an IDR slice (5) in the Annex B payload.
    const types = nalTypes(first.h264!.data);
    expect(types).toContain(7);
    expect(types).toContain(5);
    for (let i = 0; i < 10; i++) {
      d.requestUpdate(true);
      for (const r of (await d.nextUpdate()).rects) {
        expect(r.h264!.flags).toBe(0);
        expect(nalTypes(r.h264!.data).some((t) => t === 1 || t === 5)).toBe(true);
      }
    }
    d.close();
  });

  it('ContinuousUpdates: EndOfContinuousUpdates on SetEncodings, then updates without requests', async () => {
    const c = await RfbTestClient.connect({ port });
    c.setEncodings([Encoding.Zrle, Encoding.ContinuousUpdates, Encoding.Fence]);
    c.enableContinuousUpdates(true);
    for (let i = 0; i < 5; i++) await c.nextUpdate();
    expect(c.otherMessages[0]?.type).toBe(150);
    c.enableContinuousUpdates(false);
    await sleep(100);
    const stats = server.clients.find((s) => s.encoding === 'zrle' && !s.continuousUpdates);
    expect(stats).toBeTruthy();
    c.close();
  });

  it('Fence: a request is answered with the same payload and the Request bit cleared', async () => {
    const c = await RfbTestClient.connect({ port });
    c.setEncodings([Encoding.Raw, Encoding.Fence]);
    const fence = Buffer.alloc(9 + 4);
    fence[0] = 248;
    fence.writeUInt32BE((0x80000000 | 3 | 4) >>> 0, 4);
    fence[8] = 4;
    fence.write('abcd', 9);
    c.write(fence);
    c.requestUpdate(false);
    await c.nextUpdate();
    const reply = c.otherMessages.find((m) => m.type === 248)!;
    expect(reply).toBeTruthy();
    expect(reply.data!.readUInt32BE(3)).toBe(3);
    expect(reply.data!.subarray(8).toString()).toBe('abcd');
    c.close();
  });

  it('SetDesktopSize is answered "prohibited" through ExtendedDesktopSize', async () => {
    const c = await RfbTestClient.connect({ port });
    c.setEncodings([Encoding.Raw, Encoding.ExtendedDesktopSize]);
    const m = Buffer.alloc(8 + 16);
    m[0] = 251;
    m.writeUInt16BE(800, 2);
    m.writeUInt16BE(600, 4);
    m[6] = 1;
    c.write(m);
    c.requestUpdate(false);
    const u = await c.nextUpdate();
    const ext = u.rects.filter((r) => r.encoding === Encoding.ExtendedDesktopSize);
    expect(ext.map((r) => [r.x, r.y])).toEqual([
      [0, 0],
      [1, 1],
    ]);
    c.close();
  });
});

describe('input (RFC 6143 §7.5.4-5)', () => {
  it('forwards PointerEvent and KeyEvent when interaction is on, ignores them when off', async () => {
    const c = await RfbTestClient.connect({ port });
    inputs.length = 0;
    c.pointer(10, 20, 1);
    c.key(0xff0d, true);
    await sleep(100);
    expect(inputs).toEqual(['p 10 20 1', 'k 65293 true']);
    server.setInteraction(false);
    c.pointer(30, 40, 0);
    await sleep(100);
    expect(inputs.length).toBe(2);
    server.setInteraction(true);
    const l = await RfbTestClient.connect({ port: lockedPort, password: PASSWORD });
    l.pointer(1, 1, 1); // locked server: no input sink, interaction off → ignored, no error
    await sleep(50);
    expect(locked.clients.length).toBe(1);
    l.close();
    c.close();
  });
});

describe('resize', () => {
  it('announces the new size with ExtendedDesktopSize / DesktopSize, H.264 restarts at an IDR', async () => {
    const ext = await RfbTestClient.connect({ port });
    ext.setEncodings([Encoding.H264, Encoding.ExtendedDesktopSize, Encoding.ContinuousUpdates]);
    ext.enableContinuousUpdates(true);
    const old = await RfbTestClient.connect({ port });
    old.setEncodings([Encoding.Zrle, Encoding.DesktopSize]);
    old.requestUpdate(false);
    await old.nextUpdate();
    const none = await RfbTestClient.connect({ port });
    none.setEncodings([Encoding.Raw]);
    none.requestUpdate(false);
    await none.nextUpdate();
    while ((await ext.nextUpdate()).rects.every((r) => r.encoding !== Encoding.H264)) {
      /* wait for H.264 */
    }
    await source.resize(256, 144);
    let sawResize = false;
    for (let i = 0; i < 60 && !sawResize; i++) {
      const u = await ext.nextUpdate();
      const at = u.rects.findIndex((r) => r.encoding === Encoding.ExtendedDesktopSize);
      if (at >= 0) {
        sawResize = true;
        const h264 = u.rects[at + 1]!;
        expect([h264.w, h264.h]).toEqual([256, 144]);
        expect(h264.h264!.flags & 1).toBe(1);
        expect(nalTypes(h264.h264!.data)).toContain(5);
      }
    }
    expect(sawResize).toBe(true);
    old.requestUpdate(true);
    const u = await old.nextUpdate();
    expect(u.rects.map((r) => r.encoding)).toEqual([Encoding.DesktopSize, Encoding.Zrle]);
    expect([old.width, old.height]).toEqual([256, 144]);
    expect(worstBarError(old)).toBeLessThanOrEqual(2);
    none.requestUpdate(true);
    await none.waitClosed();
    expect(closes.some((r) => r.includes('supports no DesktopSize'))).toBe(true);
    ext.close();
    old.close();
    await source.resize(W, H);
  });
});

describe('slow clients', () => {
  it('a client that stops reading skips frames; the others keep up', async () => {
    const slow = await rawSocket(port);
    await slow.read(12);
    slow.write(Buffer.from('RFB 003.008\n'));
    await slow.read(2); // one security type: None
    slow.write(Buffer.from([1]));
    await slow.read(4); // SecurityResult
    slow.write(Buffer.from([1])); // ClientInit
    await slow.read(24 + 8); // ServerInit, name "Zerocast"
    // SetEncodings [Raw, ContinuousUpdates], enable continuous updates, then never read again.
    const enc = Buffer.alloc(12);
    enc[0] = 2;
    enc.writeUInt16BE(2, 2);
    enc.writeInt32BE(0, 4);
    enc.writeInt32BE(-313, 8);
    const cu = Buffer.alloc(10);
    cu[0] = 150;
    cu[1] = 1;
    cu.writeUInt16BE(W, 6);
    cu.writeUInt16BE(H, 8);
    slow.pause();
    slow.write(Buffer.concat([enc, cu]));

    const fast = await RfbTestClient.connect({ port });
    fast.setEncodings([Encoding.Zrle, Encoding.ContinuousUpdates]);
    fast.enableContinuousUpdates(true);
    const t0 = Date.now();
    let n = 0;
    while (Date.now() - t0 < 2000) {
      await fast.nextUpdate().catch((e) => {
        throw new Error(`${e}; closes: ${closes.slice(-3).join(' ')}`);
      });
      n++;
    }
    expect(n).toBeGreaterThan(30); // ~30 fps for 2 s
    const s = server.clients.find((c) => c.encoding === 'raw' && c.continuousUpdates)!;
    expect(s.framesSkipped).toBeGreaterThan(0);
    expect(s.framesSent).toBeLessThan(n);
    fast.close();
    slow.close();
  });
});

describe('slow H.264 clients', () => {
  it('a stalled H.264 client drops to the next IDR it asks for; a fast one gets every unit in order', async () => {
    // A synthetic source with big access units (256 KiB) so that socket buffers fill quickly.
    const listeners = new Set<import('../../engine/contracts.ts').StreamListener>();
    const requests: string[] = [];
    let id = 0;
    let forceKey = false;
    const fake = {
      width: 64,
      height: 64,
      fps: 100,
      live: true,
      subscribe: (l: import('../../engine/contracts.ts').StreamListener) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
      requestKeyframe: (r: string) => {
        requests.push(r);
        forceKey = true;
      },
      latestFrame: () => undefined,
    };
    const srv = new RfbServer({ source: fake, log });
    const p = (await srv.listen('127.0.0.1', 0)).port;
    const timer = setInterval(() => {
      const keyframe = forceKey || id % 50 === 0;
      forceKey = false;
      const data = Buffer.alloc(256 * 1024);
      data.set([0, 0, 0, 1, keyframe ? 0x65 : 0x41], 0);
      data.writeUInt32BE(id, 5);
      const au = { frameId: id, ptsMs: id * 10, keyframe, data, width: 64, height: 64 };
      id++;
      for (const l of listeners) l.onAccessUnit?.(au);
    }, 10);

    const slow = await rawSocket(p);
    await slow.read(12);
    slow.write(Buffer.from('RFB 003.008\n'));
    await slow.read(2);
    slow.write(Buffer.from([1]));
    await slow.read(4);
    slow.write(Buffer.from([1]));
    await slow.read(24 + 8);
    const enc = Buffer.alloc(12);
    enc[0] = 2;
    enc.writeUInt16BE(2, 2);
    enc.writeInt32BE(50, 4);
    enc.writeInt32BE(-313, 8);
    const cu = Buffer.alloc(10);
    cu[0] = 150;
    cu[1] = 1;
    cu.writeUInt16BE(64, 6);
    cu.writeUInt16BE(64, 8);
    slow.pause();
    slow.write(Buffer.concat([enc, cu]));

    const fast = await RfbTestClient.connect({ port: p, decode: false });
    fast.setEncodings([Encoding.H264, Encoding.ContinuousUpdates]);
    fast.enableContinuousUpdates(true);
    const ids: number[] = [];
    const t0 = Date.now();
    while (Date.now() - t0 < 1500) {
      for (const r of (await fast.nextUpdate()).rects) {
        if (r.h264) ids.push(r.h264.data.readUInt32BE(5));
      }
    }
    clearInterval(timer);
    const s = srv.clients.find((c) => c.encoding === 'h264' && c.framesSent < ids.length / 2)!;
    expect(s).toBeTruthy();
    expect(s.framesSkipped).toBeGreaterThan(0);
    // It asked the shared encoder for IDRs to resume (rate-limited per client).
    expect(requests.filter((r) => /fell behind|waiting for IDR/.test(r)).length).toBeGreaterThan(1);
    // The fast client: contiguous ids from its first IDR on, nearly every unit produced.
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBe(ids[i - 1]! + 1);
    expect(ids.length).toBeGreaterThan(50);
    fast.close();
    slow.close();
    await srv.close();
  });
});

/** NAL unit types in an Annex B buffer. */
function nalTypes(b: Buffer): number[] {
  const t: number[] = [];
  for (let i = 0; i + 3 < b.length; i++) {
    if (b[i] === 0 && b[i + 1] === 0 && b[i + 2] === 1) {
      t.push(b[i + 3]! & 0x1f);
      i += 2;
    }
  }
  return t;
}

/** A bare TCP socket with a byte reader, for hand-made handshakes. */
async function rawSocket(p: number) {
  const { connect } = await import('node:net');
  const sock = connect(p, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  let buf = Buffer.alloc(0);
  let closed = false;
  let wake: (() => void) | undefined;
  const onData = (c: Buffer) => {
    buf = Buffer.concat([buf, c]);
    wake?.();
  };
  sock.on('data', onData);
  sock.on('close', () => {
    closed = true;
    wake?.();
  });
  sock.on('error', () => {});
  return {
    write: (b: Buffer) => sock.write(b),
    close: () => sock.destroy(),
    pause: () => {
      sock.off('data', onData);
      sock.pause();
    },
    async read(n: number): Promise<Buffer> {
      const deadline = Date.now() + 5000;
      while (buf.length < n) {
        if (closed || Date.now() > deadline) throw new Error('closed or timed out');
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 50);
        });
      }
      const out = buf.subarray(0, n);
      buf = buf.subarray(n);
      return out;
    },
    async waitClosed() {
      const deadline = Date.now() + 5000;
      while (!closed && Date.now() < deadline) await sleep(10);
      if (!closed) throw new Error('not closed');
    },
  };
}

describe('NV12 frames for the engine', () => {
  it('wants frames only while a ZRLE/Raw client is connected (H.264 clients need none)', async () => {
    let listener: StreamListener | undefined;
    // The real test source, with its subscribe() tapped to see what the server registers.
    const tapped = new Proxy(source, {
      get(target, key) {
        if (key === 'subscribe') {
          return (l: StreamListener) => {
            listener = l;
            return target.subscribe(l);
          };
        }
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function'
          ? (value as (...a: unknown[]) => unknown).bind(target)
          : value;
      },
    }) as StreamSource;
    const s = new RfbServer({ source: tapped, log });
    const p = (await s.listen('127.0.0.1', 0)).port;
    try {
      expect(listener?.wantsFrames?.()).toBe(false);
      const h264 = await RfbTestClient.connect({ port: p });
      h264.setEncodings([Encoding.H264]);
      h264.requestUpdate(false);
      expect((await h264.nextUpdate()).rects[0]!.encoding).toBe(Encoding.H264);
      expect(listener?.wantsFrames?.()).toBe(false);
      const zrle = await RfbTestClient.connect({ port: p });
      zrle.setEncodings([Encoding.Zrle]);
      zrle.requestUpdate(false);
      expect((await zrle.nextUpdate()).rects[0]!.encoding).toBe(Encoding.Zrle);
      expect(listener?.wantsFrames?.()).toBe(true);
      zrle.close();
      await expect.poll(() => listener?.wantsFrames?.(), { timeout: 5000 }).toBe(false);
      h264.close();
    } finally {
      await s.close();
    }
  });
});
