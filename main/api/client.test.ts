import { describe, expect, it } from 'vitest';
import { ApiRequestError, SseParser, ZerocastClient } from './client.ts';
import { sampleStatus } from './fixtures.ts';

interface Call {
  url: string;
  init: RequestInit;
}

/** A fetch that answers from `routes` and records the calls. */
function fakeFetch(routes: Record<string, () => Response>): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  const fetch_ = (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = String(input);
    calls.push({ url, init });
    const key = `${init.method ?? 'GET'} ${new URL(url).pathname}`;
    const route = routes[key];
    return route
      ? route()
      : new Response(JSON.stringify({ error: `no route ${key}` }), { status: 404 });
  }) as typeof fetch;
  return { fetch: fetch_, calls };
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

describe('ZerocastClient', () => {
  it('sends the bearer token and validates the status', async () => {
    const { fetch, calls } = fakeFetch({ 'GET /api/status': () => json(sampleStatus) });
    const client = new ZerocastClient({ baseUrl: 'http://127.0.0.1:9/', token: 'tok', fetch });
    const status = await client.status();
    expect(status.encoder.name).toBe('openh264');
    expect(calls[0]!.url).toBe('http://127.0.0.1:9/api/status');
    expect((calls[0]!.init.headers as Record<string, string>).Authorization).toBe('Bearer tok');
    expect(client.whepUrl()).toBe('http://127.0.0.1:9/whep');
  });

  it('rejects answers that break the contract', async () => {
    const { fetch } = fakeFetch({ 'GET /api/status': () => json({ live: 'yes' }) });
    const client = new ZerocastClient({ baseUrl: 'http://x', fetch });
    await expect(client.status()).rejects.toThrow(/does not match the API contract/);
  });

  it('validates patches before sending and surfaces the server error', async () => {
    const { fetch, calls } = fakeFetch({
      'PATCH /api/settings': () =>
        json({ error: 'unknown scene "nope"; built-in scenes: a, b' }, 400),
    });
    const client = new ZerocastClient({ baseUrl: 'http://x', fetch });
    expect(() => client.patchSettings({ width: 641, height: 360 })).toThrow(ApiRequestError);
    expect(calls).toHaveLength(0);
    const err = await client.patchSettings({ scene: 'nope' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiRequestError);
    expect((err as ApiRequestError).status).toBe(400);
    expect((err as ApiRequestError).message).toContain('built-in scenes');
    expect(calls[0]!.init.body).toBe('{"scene":"nope"}');
  });

  it('uploads models as model/gltf-binary and reports load errors', async () => {
    const { fetch, calls } = fakeFetch({
      'POST /api/model': () => json({ error: 'not a glTF binary: bad magic' }, 422),
    });
    const client = new ZerocastClient({ baseUrl: 'http://x', fetch });
    await expect(client.uploadModel(new Uint8Array([1, 2, 3]))).rejects.toThrow('bad magic');
    expect((calls[0]!.init.headers as Record<string, string>)['Content-Type']).toBe(
      'model/gltf-binary',
    );
    expect(() => client.uploadModel(new Uint8Array(0))).toThrow(/empty/);
  });

  it('reads timing lists and the SSE stream', async () => {
    const rec = (id: number) => ({
      id,
      startMs: 1000 + id,
      stages: { render: 1 },
      bytes: 10,
      keyframe: false,
    });
    const sse = `: hello\n\ndata: ${JSON.stringify(rec(1))}\n\ndata: not json\n\ndata: ${JSON.stringify(rec(2))}\r\n\r\n`;
    const { fetch, calls } = fakeFetch({
      'GET /api/timing': () => json([rec(0), rec(1)]),
      'GET /api/timing/stream': () =>
        new Response(
          new ReadableStream({
            start(c) {
              const bytes = new TextEncoder().encode(sse);
              c.enqueue(bytes.slice(0, 40));
              c.enqueue(bytes.slice(40));
              c.close();
            },
          }),
          { headers: { 'Content-Type': 'text/event-stream' } },
        ),
    });
    const client = new ZerocastClient({ baseUrl: 'http://x', fetch });
    expect((await client.timing(2)).map((r) => r.id)).toEqual([0, 1]);
    expect(calls[0]!.url).toBe('http://x/api/timing?count=2');
    const got: number[] = [];
    await client.streamTiming((t) => got.push(t.id), new AbortController().signal);
    expect(got).toEqual([1, 2]);
  });

  it('turns network failures into status 0 errors', async () => {
    const fetch_ = (async () => {
      throw new TypeError('fetch failed');
    }) as typeof fetch;
    const client = new ZerocastClient({ baseUrl: 'http://x', fetch: fetch_ });
    await expect(client.scenes()).rejects.toMatchObject({ status: 0, message: /cannot reach/ });
  });
});

describe('SseParser', () => {
  it('handles split lines, CRLF, multi-line data and comments', () => {
    const out: string[] = [];
    const p = new SseParser((d) => out.push(d));
    p.feed('data: a\r');
    p.feed('\ndata: b\r\n\r\n: keep-alive\n\nevent: x\ndata:c\n');
    expect(out).toEqual(['a\nb']);
    p.feed('\n');
    expect(out).toEqual(['a\nb', 'c']);
  });
});
