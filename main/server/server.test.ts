import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { H264TestSource } from '../../e2e/support/h264-test-source.ts';
import { connectNdcClient, NdcWhepClient } from '../../e2e/support/ndc-whep-client.ts';
import { checkBearer, generateToken } from './auth.ts';
import { createServer, isSdpContentType, type ZerocastServer } from './server.ts';
import { buildViewerAssets, type ViewerAssets } from './viewer-assets.ts';

const TOKEN = 'test-token-123';
let viewer: ViewerAssets;
let source: H264TestSource;
let server: ZerocastServer;
let url: string;
let offer: string;
const auth = { authorization: `Bearer ${TOKEN}` };

beforeAll(async () => {
  viewer = await buildViewerAssets();
  source = new H264TestSource({ width: 320, height: 180, fps: 30, frames: 60, gop: 30 });
  server = await createServer({
    source,
    timing: source.timing,
    token: TOKEN,
    viewer,
    status: () => ({ adapter: 'test adapter', encoder: 'libx264 (file)' }),
  });
  url = await server.listen();
  const c = new NdcWhepClient();
  offer = await c.offer();
  c.close();
});

afterAll(async () => {
  await server?.close();
  source?.stop();
});

describe('WHEP endpoint', () => {
  it('answers OPTIONS with CORS headers and Accept-Post, without a token', async () => {
    const r = await server.app.inject({ method: 'OPTIONS', url: '/whep' });
    expect(r.statusCode).toBe(204);
    expect(r.headers['accept-post']).toBe('application/sdp');
    expect(r.headers['access-control-allow-origin']).toBe('*');
    expect(String(r.headers['access-control-allow-methods'])).toContain('POST');
    expect(String(r.headers['access-control-allow-headers'])).toContain('Authorization');
    expect(String(r.headers['access-control-expose-headers'])).toContain('Location');
  });

  it('requires the bearer token (401 + WWW-Authenticate)', async () => {
    const missing = await server.app.inject({
      method: 'POST',
      url: '/whep',
      headers: { 'content-type': 'application/sdp' },
      payload: offer,
    });
    expect(missing.statusCode).toBe(401);
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(missing.json()).toEqual({ error: 'authorization required' });
    const wrong = await server.app.inject({
      method: 'POST',
      url: '/whep',
      headers: { 'content-type': 'application/sdp', authorization: 'Bearer nope' },
      payload: offer,
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['www-authenticate']).toContain('invalid_token');
    for (const path of ['/api/status', '/api/timing', '/api/timing/stream', '/api/nothing']) {
      const r = await server.app.inject({ method: 'GET', url: path });
      expect(r.statusCode, path).toBe(401);
    }
    const del = await server.app.inject({ method: 'DELETE', url: '/whep/abc' });
    expect(del.statusCode).toBe(401);
  });

  it('serves the viewer page without a token', async () => {
    const page = await server.app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('<video id="video" autoplay muted playsinline>');
    const js = await server.app.inject({ method: 'GET', url: '/viewer.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toContain('javascript');
    expect(js.body).toContain('zerocastViewer');
  });

  it('rejects wrong content types with 415', async () => {
    for (const type of ['text/plain', 'application/json', 'application/xml']) {
      const payload = type === 'application/json' ? '{"sdp":"v=0"}' : offer;
      const r = await server.app.inject({
        method: 'POST',
        url: '/whep',
        headers: { ...auth, 'content-type': type },
        payload,
      });
      expect(r.statusCode, type).toBe(415);
      expect(r.json().error).toMatch(/application\/sdp/);
    }
  });

  it('rejects an oversized offer with 413', async () => {
    const r = await server.app.inject({
      method: 'POST',
      url: '/whep',
      headers: { ...auth, 'content-type': 'application/sdp' },
      payload: offer + 'a=x-padding:' + 'x'.repeat(70 * 1024) + '\r\n',
    });
    expect(r.statusCode).toBe(413);
    expect(r.json().error).toMatch(/larger than 65536 bytes/);
  });

  it('rejects a malformed offer with 400 and a message', async () => {
    const r = await server.app.inject({
      method: 'POST',
      url: '/whep',
      headers: { ...auth, 'content-type': 'application/sdp' },
      payload: 'v=0\r\nnot sdp at all\r\n',
    });
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toMatch(/malformed SDP line 2/);
    const noVideo = await server.app.inject({
      method: 'POST',
      url: '/whep',
      headers: { ...auth, 'content-type': 'application/sdp' },
      payload: offer.replace('m=video', 'm=audio'),
    });
    expect(noVideo.statusCode).toBe(400);
    expect(noVideo.json().error).toMatch(/m=video/);
  });

  it('answers 404 for DELETE/PATCH of an unknown session', async () => {
    const del = await server.app.inject({ method: 'DELETE', url: '/whep/nope', headers: auth });
    expect(del.statusCode).toBe(404);
    expect(del.json().error).toMatch(/no such WHEP session/);
    const patch = await server.app.inject({
      method: 'PATCH',
      url: '/whep/nope',
      headers: { ...auth, 'content-type': 'application/trickle-ice-sdpfrag' },
      payload: 'a=end-of-candidates',
    });
    expect(patch.statusCode).toBe(404);
  });

  it('creates a session over HTTP: 201, Location, SDP answer, RTP with the offered PT; DELETE ends it', async () => {
    let location = '';
    const client = await connectNdcClient(
      async (offer) => {
        const res = await fetch(`${url}/whep`, {
          method: 'POST',
          headers: { ...auth, 'Content-Type': 'application/sdp' },
          body: offer,
        });
        expect(res.status).toBe(201);
        expect(res.headers.get('content-type')).toBe('application/sdp');
        location = res.headers.get('location') ?? '';
        expect(location).toMatch(/^\/whep\/[0-9a-f-]{36}$/);
        const answer = await res.text();
        expect(answer).toContain('a=rtpmap:121 H264/90000');
        const session = location;
        return {
          answer,
          release: () => fetch(`${url}${session}`, { method: 'DELETE', headers: auth }),
        };
      },
      { payloadType: 121 },
    );
    try {
      await client.waitOpen();
      await client.waitForPackets(30);
      expect(client.rtp.every((p) => p.payloadType === 121)).toBe(true);

      // A malformed offer meanwhile changes nothing for this viewer.
      const bad = await fetch(`${url}/whep`, {
        method: 'POST',
        headers: { ...auth, 'Content-Type': 'application/sdp' },
        body: 'garbage',
      });
      expect(bad.status).toBe(400);
      const n = client.rtp.length;
      await client.waitForPackets(n + 20);

      const status = await (await fetch(`${url}/api/status`, { headers: auth })).json();
      expect(status).toMatchObject({
        adapter: 'test adapter',
        live: true,
        width: 320,
        viewerCount: 1,
      });
      expect(status.viewers[0].id).toBe(location.split('/').pop());
      expect(status.viewers[0].payloadType).toBe(121);

      const patch = await fetch(`${url}${location}`, {
        method: 'PATCH',
        headers: { ...auth, 'Content-Type': 'application/trickle-ice-sdpfrag' },
        body: 'a=end-of-candidates\r\n',
      });
      expect(patch.status).toBe(405);

      const del = await fetch(`${url}${location}`, { method: 'DELETE', headers: auth });
      expect(del.status).toBe(204);
      const again = await fetch(`${url}${location}`, { method: 'DELETE', headers: auth });
      expect(again.status).toBe(404);
      expect(server.whep.viewerCount).toBe(0);
    } finally {
      client.close();
    }
  });
});

describe('API', () => {
  it('GET /api/timing returns the last N FrameTiming records', async () => {
    await expect.poll(() => source.timing.recent().length, { timeout: 5000 }).toBeGreaterThan(5);
    const r = await server.app.inject({ method: 'GET', url: '/api/timing?count=5', headers: auth });
    expect(r.statusCode).toBe(200);
    const list = r.json();
    expect(list).toHaveLength(5);
    expect(list[0]).toMatchObject({ id: expect.any(Number), stages: expect.any(Object) });
    expect(list[4].id).toBeGreaterThan(list[0].id);
    for (const bad of ['0', 'abc', '1.5', '100000']) {
      const e = await server.app.inject({
        method: 'GET',
        url: `/api/timing?count=${bad}`,
        headers: auth,
      });
      expect(e.statusCode, bad).toBe(400);
      expect(e.json().error).toMatch(/count/);
    }
  });

  it('GET /api/timing/stream sends one SSE event per frame (token in header or access_token)', async () => {
    for (const [path, headers] of [
      ['/api/timing/stream', auth],
      [`/api/timing/stream?access_token=${TOKEN}`, {}],
    ] as const) {
      const ac = new AbortController();
      const res = await fetch(`${url}${path}`, { headers, signal: ac.signal });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      const reader = res.body!.getReader();
      let text = '';
      while ((text.match(/^data: /gm) ?? []).length < 3) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      const events = text
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => JSON.parse(l.slice(6)));
      expect(events.length).toBeGreaterThanOrEqual(3);
      expect(events[1].id).toBe(events[0].id + 1);
      ac.abort();
    }
  });

  it('answers unknown routes with a JSON 404', async () => {
    const r = await server.app.inject({ method: 'GET', url: '/nope' });
    expect(r.statusCode).toBe(404);
    expect(r.json()).toEqual({ error: 'no route GET /nope' });
  });
});

describe('a server without a token, before the stream is live', () => {
  it('answers 409 to an offer and needs no token', async () => {
    const idle = new H264TestSource({ width: 320, height: 180, frames: 60, autoStart: false });
    const s = await createServer({ source: idle, timing: idle.timing, viewer });
    try {
      const r = await s.app.inject({
        method: 'POST',
        url: '/whep',
        headers: { 'content-type': 'application/sdp; charset=utf-8' },
        payload: offer,
      });
      expect(r.statusCode).toBe(409);
      expect(r.json().error).toMatch(/no live stream/);
      const st = await s.app.inject({ method: 'GET', url: '/api/status' });
      expect(st.statusCode).toBe(200);
      expect(st.json()).toMatchObject({ live: false, viewerCount: 0, viewers: [] });
    } finally {
      await s.close();
    }
  });
});

describe('auth helpers', () => {
  it('checks bearer tokens', () => {
    expect(checkBearer('Bearer abc', 'abc')).toBe('ok');
    expect(checkBearer('bearer abc', 'abc')).toBe('ok');
    expect(checkBearer('Bearer abd', 'abc')).toBe('invalid');
    expect(checkBearer('Basic abc', 'abc')).toBe('invalid');
    expect(checkBearer(undefined, 'abc')).toBe('missing');
    expect(checkBearer(undefined, 'abc', 'abc')).toBe('ok');
    expect(generateToken()).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(isSdpContentType('application/SDP; charset=utf-8')).toBe(true);
    expect(isSdpContentType('text/plain')).toBe(false);
  });
});
