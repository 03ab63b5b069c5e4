/**
 * `serve` command-line options: definitions (commander) and the parsers for sizes, bitrates and
 * ports, with errors that say what is wrong and what is accepted.
 */
import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import { BUILTIN_SCENES, DEFAULT_SCENE } from '../scenes/index.ts';
import { DEFAULT_SETTINGS, validateSize, type StreamSettings } from '../engine/settings.ts';

/** Everything `serve` needs to start. */
export interface ServeOptions extends StreamSettings {
  /** Interface to bind, e.g. `127.0.0.1` or `0.0.0.0`. */
  host: string;
  /** HTTP port (viewer page, WHEP, API). */
  port: number;
  /** Bearer token for WHEP and the API; required off loopback (generated when not given). */
  token: string | undefined;
  /** RFB (VNC) TCP port; 0 turns the RFB output off. */
  rfbPort: number;
  /** VNC password; required off loopback (generated when not given). */
  rfbPassword: string | undefined;
  /** Let viewers' pointer and keys drive the camera. */
  interactive: boolean;
  /** A .glb file to stream instead of the built-in scene (the positional argument), if given. */
  model?: string;
}

/** Parses `1280x720` into pixels. @throws InvalidArgumentError on anything else. */
export function parseSize(value: string): { width: number; height: number } {
  const m = /^(\d{2,5})[x×](\d{2,5})$/i.exec(value.trim());
  if (!m)
    throw new InvalidArgumentError(
      `expected WIDTHxHEIGHT in pixels, e.g. 1280x720, got "${value}"`,
    );
  const width = Number(m[1]);
  const height = Number(m[2]);
  try {
    validateSize(width, height);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return { width, height };
}

/** Parses a bitrate in bits/s: `6000000`, `6M`, `6m`, `2500k`, `2.5M`. @throws InvalidArgumentError. */
export function parseBitrate(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kKmM]?)(?:bps|bit\/s|b\/s)?$/.exec(value.trim());
  if (!m)
    throw new InvalidArgumentError(
      `expected a bitrate in bits/s such as 6M or 2500k, got "${value}"`,
    );
  const scale = { '': 1, k: 1e3, m: 1e6 }[m[2]!.toLowerCase() as '' | 'k' | 'm'];
  const bits = Math.round(Number(m[1]) * scale);
  if (bits < 50_000 || bits > 200_000_000) {
    throw new InvalidArgumentError(`bitrate must be between 50k and 200M bits/s, got ${value}`);
  }
  return bits;
}

/** Parses an integer in `min..max`. @throws InvalidArgumentError. */
export function parseIntIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < min || n > max) {
      throw new InvalidArgumentError(
        `expected a whole number from ${min} to ${max}, got "${value}"`,
      );
    }
    return n;
  };
}

/** Parses a scene name. @throws InvalidArgumentError listing the built-in scenes. */
export function parseScene(value: string): string {
  if (!BUILTIN_SCENES.some((s) => s.name === value)) {
    throw new InvalidArgumentError(
      `unknown scene "${value}"; built-in scenes: ${BUILTIN_SCENES.map((s) => s.name).join(', ')}`,
    );
  }
  return value;
}

/** Checks the model argument names a .glb file. @throws InvalidArgumentError otherwise. */
export function parseModelPath(value: string): string {
  if (!/\.glb$/i.test(value.trim())) {
    throw new InvalidArgumentError(`the model must be a .glb file (glTF binary), got "${value}"`);
  }
  return value;
}

/** Whether `host` is a loopback address (no token or VNC password needed there). */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The `serve` command (parse with `.parseAsync`); `action` receives the parsed options. */
export function serveCommand(action: (options: ServeOptions) => Promise<void>): Command {
  const scenes = BUILTIN_SCENES.map((s) => `  ${s.name.padEnd(14)} ${s.description}`).join('\n');
  return new Command('serve')
    .description(
      'Render a live three.js scene on the GPU and stream it: WHEP (WebRTC) for browsers, RFB for VNC clients.',
    )
    .addOption(
      new Option('-s, --scene <name>', 'built-in scene to stream')
        .default(DEFAULT_SCENE)
        .argParser(parseScene),
    )
    .addOption(
      new Option('--size <WxH>', 'stream size in pixels')
        .default(`${DEFAULT_SETTINGS.width}x${DEFAULT_SETTINGS.height}`)
        .argParser((v) => {
          parseSize(v);
          return v;
        }),
    )
    .addOption(
      new Option('--fps <n>', 'frames per second')
        .default(DEFAULT_SETTINGS.fps)
        .argParser(parseIntIn(1, 240)),
    )
    .addOption(
      new Option('-b, --bitrate <bits/s>', 'H.264 target bitrate, e.g. 6M or 2500k')
        .default(DEFAULT_SETTINGS.bitrate, '6M')
        .argParser(parseBitrate),
    )
    .addOption(
      new Option(
        '--keyframe-interval <frames>',
        'frames between IDRs (default: 2 s worth)',
      ).argParser(parseIntIn(1, 100_000)),
    )
    .addOption(new Option('--host <address>', 'interface to bind').default('127.0.0.1'))
    .addOption(
      new Option('-p, --port <port>', 'HTTP port: viewer, WHEP, API')
        .default(8080)
        .argParser(parseIntIn(0, 65535)),
    )
    .addOption(
      new Option(
        '--token <token>',
        'bearer token for WHEP and the API (required off loopback; generated if absent)',
      ),
    )
    .addOption(
      new Option('--rfb-port <port>', 'RFB (VNC) TCP port, 0 to turn RFB off')
        .default(5900)
        .argParser(parseIntIn(0, 65535)),
    )
    .addOption(
      new Option(
        '--rfb-password <password>',
        'VNC password (required off loopback; generated if absent)',
      ),
    )
    .addOption(
      new Option(
        '--interactive',
        "let viewers' pointer and keys orbit and zoom the camera",
      ).default(false),
    )
    .addArgument(
      new Argument(
        '[model]',
        'a glTF binary (.glb) to stream, framed and orbited, instead of --scene',
      ).argParser(parseModelPath),
    )
    .addHelpText('after', `\nBuilt-in scenes:\n${scenes}\n`)
    .action(async (model: string | undefined, raw: Record<string, unknown>) => {
      const { width, height } = parseSize(String(raw.size));
      const fps = raw.fps as number;
      await action({
        scene: raw.scene as string,
        width,
        height,
        fps,
        bitrate: raw.bitrate as number,
        keyframeInterval: (raw.keyframeInterval as number | undefined) ?? fps * 2,
        host: raw.host as string,
        port: raw.port as number,
        token: raw.token as string | undefined,
        rfbPort: raw.rfbPort as number,
        rfbPassword: raw.rfbPassword as string | undefined,
        interactive: raw.interactive as boolean,
        ...(model !== undefined ? { model } : {}),
      });
    });
}
