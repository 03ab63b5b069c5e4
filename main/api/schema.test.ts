import { describe, expect, it } from 'vitest';
import {
  FrameTiming,
  SceneList,
  SettingsPatch,
  Status,
  TimingQuery,
  describeIssues,
  thumbnailPath,
} from './schema.ts';
import { sampleStatus } from './fixtures.ts';

describe('SettingsPatch', () => {
  it('accepts any valid subset', () => {
    for (const patch of [
      { bitrate: 1_000_000 },
      { scene: 'swarm' },
      { width: 640, height: 360 },
      { fps: 240, keyframeInterval: 1 },
      { width: 7680, height: 4320, fps: 1, bitrate: 200_000_000 },
      { width: 64, height: 64, bitrate: 50_000 },
    ]) {
      expect(SettingsPatch.safeParse(patch).success, JSON.stringify(patch)).toBe(true);
    }
  });

  it.each([
    [{ width: 641, height: 360 }, 'width: width must be even'],
    [{ width: 640, height: 4322 }, 'height'],
    [{ width: 62, height: 64 }, 'width'],
    [{ width: 640 }, 'width and height must be given together'],
    [{ fps: 0 }, 'fps'],
    [{ fps: 241 }, 'fps'],
    [{ fps: 29.97 }, 'fps'],
    [{ bitrate: 49_999 }, 'at least 50000'],
    [{ bitrate: 200_000_001 }, 'at most 200000000'],
    [{ keyframeInterval: 0 }, 'keyframeInterval'],
    [{ scene: '../etc/passwd' }, 'scene'],
    [{ bitrate: '6M' }, 'bitrate'],
    [{ colour: 'red' }, 'colour'],
    [{}, 'changes nothing'],
  ])('rejects %j', (patch, message) => {
    const r = SettingsPatch.safeParse(patch);
    expect(r.success).toBe(false);
    if (!r.success) expect(describeIssues(r.error)).toContain(message);
  });
});

describe('Status', () => {
  it('parses a full status and strips unknown fields', () => {
    const s = Status.parse(sampleStatus);
    expect(s.outputs.whep.viewers[0]).not.toHaveProperty('extra');
    expect(s.outputs.rfb?.address).toBe('127.0.0.1:5900');
  });
  it('accepts a status without RFB', () => {
    const { rfb: _rfb, ...outputs } = sampleStatus.outputs;
    expect(Status.safeParse({ ...sampleStatus, outputs }).success).toBe(true);
  });
  it('rejects a status missing the encoder chain or with negative counters', () => {
    expect(Status.safeParse({ ...sampleStatus, encoder: { name: 'x' } }).success).toBe(false);
    expect(Status.safeParse({ ...sampleStatus, framesDropped: -1 }).success).toBe(false);
    const viewers = [{ id: 'v', bitrate: 1, nacks: 0, plis: 0, lossPercent: 140 }];
    const bad = { ...sampleStatus, outputs: { whep: { url: 'u', viewers } } };
    expect(Status.safeParse(bad).success).toBe(false);
  });
});

describe('scenes, timing', () => {
  it('parses scene lists and builds thumbnail paths', () => {
    const list = [
      { name: 'swarm', description: 'Instanced swarm', thumbnail: thumbnailPath('swarm') },
    ];
    expect(SceneList.parse(list)[0]!.thumbnail).toBe('/api/scenes/swarm/thumbnail.png');
    expect(thumbnailPath('a b')).toBe('/api/scenes/a%20b/thumbnail.png');
    expect(SceneList.safeParse([{ name: 'x' }]).success).toBe(false);
  });
  it('parses frame timings, including dropped frames and GPU stages', () => {
    const done = {
      id: 1,
      startMs: 1e12,
      stages: { render: 2, convert: 0.5, readback: 1, encode: 4, send: 0.1 },
      bytes: 900,
      keyframe: false,
    };
    const gpu = { ...done, gpuStages: { render: 1.5, convert: 0.3 } };
    const dropped = {
      id: 2,
      startMs: 1e12 + 16,
      stages: {},
      bytes: 0,
      keyframe: false,
      dropped: 'pipeline-full',
    };
    expect(FrameTiming.parse(done).stages.encode).toBe(4);
    expect(FrameTiming.parse(gpu).gpuStages?.render).toBe(1.5);
    expect(FrameTiming.parse(dropped).dropped).toBe('pipeline-full');
    expect(FrameTiming.safeParse({ ...done, stages: { render: -1 } }).success).toBe(false);
    expect(FrameTiming.safeParse({ ...done, id: 1.5 }).success).toBe(false);
  });
  it('coerces the timing query', () => {
    expect(TimingQuery.parse({ count: '120' })).toEqual({ count: 120 });
    expect(TimingQuery.parse({})).toEqual({});
    expect(TimingQuery.safeParse({ count: '0' }).success).toBe(false);
    expect(TimingQuery.safeParse({ count: 'abc' }).success).toBe(false);
    expect(TimingQuery.safeParse({ other: 1 }).success).toBe(false);
  });
});
