import { describe, expect, it } from 'vitest';
import {
  isLoopback,
  parseBitrate,
  parseIntIn,
  parseScene,
  parseSize,
  parseModelPath,
  serveCommand,
  type ServeOptions,
} from './options.ts';

describe('serve options', () => {
  it('parses sizes and rejects odd or malformed ones', () => {
    expect(parseSize('1280x720')).toEqual({ width: 1280, height: 720 });
    expect(() => parseSize('1281x720')).toThrow(/even/);
    expect(() => parseSize('big')).toThrow(/WIDTHxHEIGHT/);
  });

  it('parses bitrates with k/M suffixes', () => {
    expect(parseBitrate('6M')).toBe(6_000_000);
    expect(parseBitrate('2500k')).toBe(2_500_000);
    expect(parseBitrate('1.5m')).toBe(1_500_000);
    expect(parseBitrate('800000')).toBe(800_000);
    expect(() => parseBitrate('fast')).toThrow(/bits\/s/);
    expect(() => parseBitrate('1k')).toThrow(/between/);
  });

  it('rejects an unknown scene with the list of scenes', () => {
    expect(parseScene('swarm')).toBe('swarm');
    expect(() => parseScene('nope')).toThrow(/showroom, swarm, test-pattern/);
  });

  it('bounds integers', () => {
    expect(parseIntIn(1, 240)('60')).toBe(60);
    expect(() => parseIntIn(1, 240)('0')).toThrow(/1 to 240/);
    expect(() => parseIntIn(1, 240)('6.5')).toThrow();
  });

  it('knows loopback addresses', () => {
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('0.0.0.0')).toBe(false);
    expect(isLoopback('192.168.1.4')).toBe(false);
  });

  it('gives defaults with no arguments: default scene, 1280x720, 60 fps, 6 Mbit/s, loopback', async () => {
    let got: ServeOptions | undefined;
    await serveCommand(async (o) => {
      got = o;
    }).parseAsync([], { from: 'user' });
    expect(got).toMatchObject({
      scene: 'showroom',
      width: 1280,
      height: 720,
      fps: 60,
      bitrate: 6_000_000,
      keyframeInterval: 120,
      host: '127.0.0.1',
      port: 8080,
      rfbPort: 5900,
      interactive: false,
    });
  });

  it('takes every option', async () => {
    let got: ServeOptions | undefined;
    await serveCommand(async (o) => {
      got = o;
    }).parseAsync(
      [
        '--scene',
        'swarm',
        '--size',
        '640x360',
        '--fps',
        '30',
        '-b',
        '2M',
        '--keyframe-interval',
        '30',
        '--host',
        '0.0.0.0',
        '-p',
        '9000',
        '--token',
        't',
        '--rfb-port',
        '0',
        '--rfb-password',
        'pw',
        '--interactive',
      ],
      { from: 'user' },
    );
    expect(got).toMatchObject({
      scene: 'swarm',
      width: 640,
      height: 360,
      fps: 30,
      bitrate: 2_000_000,
      keyframeInterval: 30,
      host: '0.0.0.0',
      port: 9000,
      token: 't',
      rfbPort: 0,
      rfbPassword: 'pw',
      interactive: true,
    });
  });

  it('takes a .glb model as the positional argument, with options around it', async () => {
    let got: ServeOptions | undefined;
    await serveCommand(async (o) => {
      got = o;
    }).parseAsync(['--size', '640x360', 'models/robot.glb', '--fps', '30'], { from: 'user' });
    expect(got).toMatchObject({ model: 'models/robot.glb', width: 640, height: 360, fps: 30 });
    let none: ServeOptions | undefined;
    await serveCommand(async (o) => {
      none = o;
    }).parseAsync([], { from: 'user' });
    expect(none && 'model' in none).toBe(false);
  });

  it('rejects a model argument that is not a .glb', async () => {
    expect(() => parseModelPath('scene.gltf')).toThrow(/\.glb file/);
    expect(parseModelPath('a/B.GLB')).toBe('a/B.GLB');
    const cmd = serveCommand(async () => {})
      .exitOverride()
      .configureOutput({ writeErr: () => {} });
    await expect(cmd.parseAsync(['notes.txt'], { from: 'user' })).rejects.toThrow(/\.glb file/);
  });
});
