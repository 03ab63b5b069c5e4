/**
 * The pixel worker thread (./pixel-thread.ts): its ZRLE tile data and Raw pixels are byte for
 * byte those of the synchronous path ({@link SharedFrame} on the calling thread), the work really
 * runs on another thread, and an RfbServer's ZRLE/Raw clients are served through it.
 */
import { threadId } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import type { Nv12Frame, StreamListener, StreamSource } from '../../engine/contracts.ts';
import { RfbTestClient } from '../../../e2e/support/rfb-client.ts';
import { renderPattern } from '../../../e2e/support/rfb-source.ts';
import { SharedFrame, pixelWantKey, type PixelKind } from './frame-cache.ts';
import { DEFAULT_PIXEL_FORMAT, nv12ToPixelValues, type PixelFormat } from './pixel-format.ts';
import { PixelThread, type PixelJobFrame, type PixelWant } from './pixel-thread.ts';
import { Encoding } from './protocol.ts';
import { RfbServer } from './server.ts';
import { BGR233, RGB565_BE, closeReasonLog, pixelFormat } from './test-support.ts';
import { decodeZrleTiles } from './zrle.ts';

const W = 1280;
const H = 720;
const PITCH = 1280; // renderPattern's pitch for 1280 (a multiple of 256)

const FORMATS: PixelFormat[] = [
  DEFAULT_PIXEL_FORMAT,
  pixelFormat({ bigEndian: true }),
  RGB565_BE,
  BGR233,
];

/** Pattern frame `n` as the engine would hand it out. */
function frame(n: number, id = n): Nv12Frame {
  return { id, width: W, height: H, pitch: PITCH, data: renderPattern(n, W, H), ptsMs: 0 };
}

/** A copy of `f` to hand over (transferred: unusable here afterwards). */
function handOver(f: Nv12Frame): PixelJobFrame {
  return { id: f.id, width: f.width, height: f.height, pitch: f.pitch, data: f.data.slice() };
}

const want = (pf: PixelFormat, kind: PixelKind): PixelWant => ({
  key: pixelWantKey(pf, kind),
  pf,
  kind,
});

const reasons: string[] = [];
const log = closeReasonLog(reasons);
const threads: PixelThread[] = [];
afterAll(() => {
  for (const t of threads) t.close();
});

describe('pixel worker thread', () => {
  it('produces the synchronous path’s ZRLE and Raw bytes, on another thread', async () => {
    const pixels = new PixelThread(log);
    threads.push(pixels);
    const f = frame(7);
    const sync = new SharedFrame(f); // the previous synchronous path, on this thread
    const wants = FORMATS.flatMap((pf) => [want(pf, 'zrle'), want(pf, 'raw')]);
    const r = await pixels.run({ frameId: f.id, frame: handOver(f), wants });

    expect(r.error).toBeUndefined();
    expect(pixels.mode).toBe('worker');
    expect(r.threadId).not.toBe(threadId);
    expect(r.threadId).toBeGreaterThan(0);
    expect(r.out.map((o) => o.key)).toEqual(wants.map((w) => w.key));
    for (const [i, w] of wants.entries()) {
      const got = Buffer.from(r.out[i]!.data);
      const expected = w.kind === 'zrle' ? sync.zrleData(w.pf) : sync.rawData(w.pf);
      expect(got.equals(expected), w.key).toBe(true);
      if (w.kind === 'zrle') {
        // And it decodes (the existing test decoder) to the frame's pixels in that format.
        expect(equal(decodeZrleTiles(got, W, H, w.pf), nv12ToPixelValues(f, w.pf)), w.key).toBe(
          true,
        );
      }
    }
  });

  it('converts more formats of the frame it holds, and refuses a frame it no longer holds', async () => {
    const pixels = new PixelThread(log);
    threads.push(pixels);
    const a = frame(3, 100);
    const first = await pixels.run({
      frameId: a.id,
      frame: handOver(a),
      wants: [want(DEFAULT_PIXEL_FORMAT, 'zrle')],
    });
    expect(first.error).toBeUndefined();
    // A later format for the same frame: no NV12 sent again.
    const later = await pixels.run({ frameId: a.id, wants: [want(RGB565_BE, 'zrle')] });
    expect(later.error).toBeUndefined();
    expect(Buffer.from(later.out[0]!.data).equals(new SharedFrame(a).zrleData(RGB565_BE))).toBe(
      true,
    );
    const b = frame(4, 101);
    await pixels.run({ frameId: b.id, frame: handOver(b), wants: [] });
    const stale = await pixels.run({ frameId: a.id, wants: [want(BGR233, 'raw')] });
    expect(stale.error).toMatch(/no longer held/);
    expect(stale.out).toEqual([]);
  });

  it('with the worker disabled, the same job runs on the calling thread', async () => {
    const pixels = new PixelThread(log, false);
    threads.push(pixels);
    const f = frame(9);
    const r = await pixels.run({
      frameId: f.id,
      frame: handOver(f),
      wants: [want(RGB565_BE, 'zrle')],
    });
    expect(pixels.mode).toBe('main');
    expect(r.threadId).toBe(threadId);
    expect(Buffer.from(r.out[0]!.data).equals(new SharedFrame(f).zrleData(RGB565_BE))).toBe(true);
  });
});

/** A source that emits the frames the test tells it to (no H.264). */
class ManualSource implements StreamSource {
  readonly width = W;
  readonly height = H;
  readonly fps = 30;
  readonly live = true;
  private readonly listeners = new Set<StreamListener>();
  private latest: Nv12Frame | undefined;

  subscribe(l: StreamListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  requestKeyframe(): void {}
  latestFrame(): Nv12Frame | undefined {
    return this.latest;
  }
  emit(f: Nv12Frame): void {
    this.latest = f;
    for (const l of this.listeners) l.onFrame?.(f);
  }
}

describe('RfbServer through the pixel worker', () => {
  it('serves ZRLE clients in two pixel formats with the exact pixels, converted off the main thread', async () => {
    const source = new ManualSource();
    const server = new RfbServer({ source, log });
    const { port } = await server.listen('127.0.0.1', 0);
    try {
      const clients: [RfbTestClient, PixelFormat][] = [];
      for (const pf of [DEFAULT_PIXEL_FORMAT, RGB565_BE]) {
        const c = await RfbTestClient.connect({ port });
        c.setPixelFormat(pf);
        c.setEncodings([Encoding.Zrle]);
        clients.push([c, pf]);
      }
      for (let t = 0; server.clients.filter((c) => c.encoding === 'zrle').length < 2; t++) {
        expect(t).toBeLessThan(500);
        await new Promise((r) => setTimeout(r, 10));
      }
      for (const n of [1, 2]) {
        // Frame n is the only new one: each client's next update carries exactly its pixels.
        const f = frame(n);
        source.emit(f);
        for (const [c] of clients) c.requestUpdate(n > 1);
        for (const [c, pf] of clients) {
          await c.nextUpdate(5000);
          expect(equal(c.fb, nv12ToPixelValues(f, pf)), `frame ${n}`).toBe(true);
        }
      }
      const work = server.pixelWork;
      expect(work.mode).toBe('worker');
      expect(work.jobs).toBeGreaterThan(0);
      expect(work.lastThreadId).not.toBe(threadId);
      expect(work.lastThreadId).toBeGreaterThan(0);
      for (const [c] of clients) c.close();
    } finally {
      await server.close();
    }
  });
});

function equal(a: Uint32Array, b: Uint32Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer).equals(Buffer.from(b.buffer));
}
