import Fastify from 'fastify';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import {
  registerControlRoutes,
  SceneThumbnails,
  toApiStatus,
  type EngineControls,
} from './routes.ts';
import { ApiError, SceneList, Status } from './schema.ts';
import { nv12ToRgb, nv12ToPng } from './thumbnail.ts';
import { registerUi } from './ui-route.ts';
import { DEFAULT_SETTINGS, type StreamSettings } from '../engine/settings.ts';
import { nv12Pitch } from '../convert/bt709.ts';

/** A grey NV12 frame with a white left half. */
function nv12(width: number, height: number, pitch = nv12Pitch(width)) {
  const data = new Uint8Array(pitch * height * 1.5).fill(128);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data[y * pitch + x] = x < width / 2 ? 235 : 126;
  }
  return { width, height, pitch, data };
}

function fakeEngine() {
  const calls: string[] = [];
  const current: StreamSettings = { ...DEFAULT_SETTINGS };
  const engine: EngineControls & { calls: string[] } = {
    calls,
    current,
    setScene(name) {
      if (!['showroom', 'swarm', 'test-pattern'].includes(name))
        throw new Error(`unknown scene "${name}"; built-in scenes: showroom, swarm, test-pattern`);
      calls.push(`scene ${name}`);
      current.scene = name;
    },
    setBitrate(bps) {
      calls.push(`bitrate ${bps}`);
      current.bitrate = bps;
    },
    async reconfigure(changes) {
      calls.push(`reconfigure ${JSON.stringify(changes)}`);
      Object.assign(current, changes);
    },
    latestFrame: () => nv12(64, 36),
  };
  return engine;
}

function engineStatus(engine: EngineControls) {
  return {
    adapter: { name: 'llvmpipe', backend: 'vulkan', type: 'cpu', software: true },
    encoder: { name: 'openh264', chain: [{ name: 'openh264', ok: true }] },
    settings: engine.current,
    live: true,
    framesRendered: 10,
    framesEncoded: 9,
    framesDropped: 1,
    fps: 60,
  };
}

const scenes = [
  { name: 'showroom', description: 'PBR showroom' },
  { name: 'swarm', description: 'Instanced swarm' },
  { name: 'test-pattern', description: 'Colour bars' },
];

let closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers) await c();
  closers = [];
});

async function app(loadModel?: (glb: Uint8Array) => Promise<void>) {
  const engine = fakeEngine();
  const thumbnails = new SceneThumbnails();
  const a = Fastify();
  registerControlRoutes(a, {
    engine,
    scenes,
    thumbnails,
    ...(loadModel ? { loadModel } : {}),
    status: () =>
      toApiStatus({
        engine: engineStatus(engine),
        viewers: [{ id: 'v1', bitrateBps: 1e6, fractionLost: 0.02, nacks: 1, plis: 2, rttMs: 3 }],
        whepUrl: 'http://127.0.0.1/whep',
      }),
  });
  await a.ready();
  closers.push(() => a.close());
  return { a, engine, thumbnails };
}

describe('toApiStatus', () => {
  it('maps engine and WHEP stats to the contract', () => {
    const s = toApiStatus({
      engine: engineStatus(fakeEngine()),
      viewers: [
        { id: 'v1', bitrateBps: 2e6, fractionLost: 0.25, nacks: 3, plis: 1, state: 'connected' },
      ],
      whepUrl: 'http://h/whep',
      viewerUrl: 'http://h/',
      rfb: { address: '127.0.0.1:5900', clients: 1 },
    });
    expect(Status.safeParse(s).success).toBe(true);
    expect(s.adapter.deviceType).toBe('cpu');
    expect(s.outputs.whep.viewers[0]).toMatchObject({
      bitrate: 2e6,
      lossPercent: 25,
      nacks: 3,
      plis: 1,
    });
    expect(s.outputs.rfb?.clients).toBe(1);
  });
});

describe('control routes', () => {
  it('lists scenes', async () => {
    const { a } = await app();
    const res = await a.inject({ method: 'GET', url: '/api/scenes' });
    const list = SceneList.parse(res.json());
    expect(list.map((s) => s.thumbnail)).toContain('/api/scenes/swarm/thumbnail.png');
  });

  it('applies settings live, in order, and answers with the status', async () => {
    const { a, engine } = await app();
    const res = await a.inject({
      method: 'PATCH',
      url: '/api/settings',
      payload: { scene: 'swarm', bitrate: 1_000_000, width: 640, height: 360, fps: 30 },
    });
    expect(res.statusCode).toBe(200);
    expect(Status.parse(res.json()).settings).toMatchObject({
      scene: 'swarm',
      bitrate: 1_000_000,
      width: 640,
      fps: 30,
    });
    expect(engine.calls).toEqual([
      'scene swarm',
      'bitrate 1000000',
      'reconfigure {"width":640,"height":360,"fps":30}',
    ]);
  });

  it.each([
    [{ width: 641, height: 360 }, 'even'],
    [{ bitrate: 10 }, 'at least'],
    [{ nonsense: true }, 'nonsense'],
    [{ scene: 'nope' }, 'built-in scenes'],
  ])('answers 400 {error} to %j', async (payload, message) => {
    const { a } = await app();
    const res = await a.inject({ method: 'PATCH', url: '/api/settings', payload });
    expect(res.statusCode).toBe(400);
    expect(ApiError.parse(res.json()).error).toContain(message);
  });

  it('serves thumbnails once captured, 404 before', async () => {
    const { a, thumbnails } = await app();
    expect(
      (await a.inject({ method: 'GET', url: '/api/scenes/swarm/thumbnail.png' })).statusCode,
    ).toBe(404);
    expect(
      (await a.inject({ method: 'GET', url: '/api/scenes/zzz/thumbnail.png' })).statusCode,
    ).toBe(404);
    thumbnails.capture('swarm', nv12(640, 360));
    const res = await a.inject({ method: 'GET', url: '/api/scenes/swarm/thumbnail.png' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.rawPayload.subarray(1, 4).toString()).toBe('PNG');
  });

  it('loads models, passing the loader error through', async () => {
    const got: number[] = [];
    const { a } = await app(async (glb) => {
      got.push(glb.byteLength);
      if (glb[0] !== 0x67) throw new Error('not a binary glTF (bad magic)');
    });
    const ok = await a.inject({
      method: 'POST',
      url: '/api/model',
      headers: { 'content-type': 'model/gltf-binary' },
      payload: Buffer.from('glTF....'),
    });
    expect(ok.statusCode).toBe(200);
    const bad = await a.inject({
      method: 'POST',
      url: '/api/model',
      headers: { 'content-type': 'model/gltf-binary' },
      payload: Buffer.from('nope'),
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json()).toEqual({ error: 'not a binary glTF (bad magic)' });
    expect(got).toEqual([8, 4]);
  });

  it('answers 501 without a model loader', async () => {
    const { a } = await app();
    const res = await a.inject({
      method: 'POST',
      url: '/api/model',
      headers: { 'content-type': 'model/gltf-binary' },
      payload: Buffer.from('glTF'),
    });
    expect(res.statusCode).toBe(501);
  });
});

describe('thumbnails', () => {
  it('converts BT.709 limited range NV12 to RGB and scales down', () => {
    const { width, height, rgb } = nv12ToRgb(nv12(640, 360), 320);
    expect([width, height]).toEqual([320, 180]);
    expect([...rgb.subarray(0, 3)]).toEqual([255, 255, 255]);
    const right = (10 * width + 300) * 3;
    expect(Math.abs(rgb[right]! - 128)).toBeLessThanOrEqual(1);
  });
  it('writes a valid PNG', () => {
    const png = nv12ToPng(nv12(64, 36), 320);
    expect(png.subarray(0, 8)).toEqual(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    );
    expect(png.readUInt32BE(16)).toBe(64);
    expect(png.readUInt32BE(20)).toBe(36);
    const idatLen = png.readUInt32BE(33);
    expect(png.subarray(37, 41).toString()).toBe('IDAT');
    const raw = inflateSync(png.subarray(41, 41 + idatLen));
    expect(raw.length).toBe((64 * 3 + 1) * 36);
  });
});

describe('registerUi', () => {
  it('serves the built UI at /app/ and redirects /app', async () => {
    const root = mkdtempSync(join(tmpdir(), 'zc-ui-'));
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>Zerocast</title>');
    writeFileSync(join(root, 'assets', 'x.js'), 'export {}');
    const a = Fastify();
    await registerUi(a, { root });
    closers.push(() => a.close());
    const index = await a.inject({ method: 'GET', url: '/app/' });
    expect(index.statusCode).toBe(200);
    expect(index.body).toContain('Zerocast');
    const js = await a.inject({ method: 'GET', url: '/app/assets/x.js' });
    expect(js.headers['cache-control']).toContain('immutable');
    const redirect = await a.inject({ method: 'GET', url: '/app?token=abc' });
    expect(redirect.statusCode).toBe(301);
    expect(redirect.headers.location).toBe('/app/?token=abc');
  });
  it('answers 503 when the UI is not built', async () => {
    const a = Fastify();
    await registerUi(a, { root: mkdtempSync(join(tmpdir(), 'zc-empty-')) });
    closers.push(() => a.close());
    const res = await a.inject({ method: 'GET', url: '/app/' });
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toContain('build:ui');
  });
});
