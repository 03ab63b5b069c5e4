/**
 * RFB benchmark (issue 5): 20 RFB clients (10 Open H.264 with continuous updates, like noVNC;
 * 10 ZRLE, request-driven, like classic viewers) on one machine, against a server in its own
 * process fed by the test pattern source (NV12 + ffmpeg H.264) at 1280x720.
 *
 * Prints frames delivered per client per second, the server process's CPU time per source
 * frame (user + system, all threads: the main thread, the RFB pixel worker and zlib on the libuv
 * pool), and the server main thread's event-loop delay (perf_hooks.monitorEventLoopDelay, 1 ms
 * resolution): how long work on the main thread, the one that runs the engine's frame loop,
 * keeps a due callback waiting.
 *
 *   npx tsx bench/rfb.bench.ts [--width 1280] [--height 720] [--fps 30] [--seconds 10]
 *     [--h264 10] [--zrle 10] [--pixel-worker true|false]
 *
 * `--pixel-worker false` keeps the ZRLE/Raw conversion and tiling on the main thread (as before
 * the pixel worker existed), for a before/after comparison on the same code.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { RfbTestClient } from '../e2e/support/rfb-client.ts';
import { TestPatternSource } from '../e2e/support/rfb-source.ts';
import { Encoding } from '../main/outputs/rfb/protocol.ts';
import { RfbServer, type RfbClientStats, type RfbPixelWork } from '../main/outputs/rfb/server.ts';

const { values: opts } = parseArgs({
  options: {
    server: { type: 'boolean', default: false },
    width: { type: 'string', default: '1280' },
    height: { type: 'string', default: '720' },
    fps: { type: 'string', default: '30' },
    seconds: { type: 'string', default: '10' },
    h264: { type: 'string', default: '10' },
    zrle: { type: 'string', default: '10' },
    'pixel-worker': { type: 'string', default: 'true' },
  },
});
const width = Number(opts.width);
const height = Number(opts.height);
const fps = Number(opts.fps);

/** The server main thread's event-loop delay since the previous snapshot, in ms. */
interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
}

interface Snapshot {
  cpu: NodeJS.CpuUsage;
  frames: number;
  clients: RfbClientStats[];
  loopDelay: LoopDelay;
  pixelWork: RfbPixelWork;
}

type ToServer = { cmd: 'snapshot' } | { cmd: 'exit' };
type FromServer = { port: number } | { snapshot: Snapshot };

/** Child process: the source and the server. */
async function serverMain(): Promise<void> {
  const source = new TestPatternSource({ width, height, fps });
  await source.start();
  const server = new RfbServer({ source, pixelWorker: opts['pixel-worker'] !== 'false' });
  const { port } = await server.listen('127.0.0.1', 0);
  const send = (m: FromServer) => process.send!(m);
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  process.on('message', async (m: ToServer) => {
    if (m.cmd === 'snapshot') {
      const ms = (ns: number) => ns / 1e6;
      const loopDelay = {
        p50: ms(delay.percentile(50)),
        p99: ms(delay.percentile(99)),
        max: ms(delay.max),
      };
      delay.reset();
      send({
        snapshot: {
          cpu: process.cpuUsage(),
          frames: source.emitted,
          clients: server.clients,
          loopDelay,
          pixelWork: server.pixelWork,
        },
      });
    } else {
      await server.close();
      source.stop();
      process.exit(0);
    }
  });
  send({ port });
}

async function main(): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), ['--server', ...process.argv.slice(2)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = () => new Promise<FromServer>((r) => child.once('message', (m: FromServer) => r(m)));
  const hello = await next();
  if (!('port' in hello)) throw new Error('server did not start');
  const snapshot = async () => {
    const p = next();
    child.send({ cmd: 'snapshot' } satisfies ToServer);
    const m = await p;
    if (!('snapshot' in m)) throw new Error('bad reply');
    return m.snapshot;
  };

  const counts: { kind: 'h264' | 'zrle'; n: number; bytes: number }[] = [];
  let stop = false;
  const loops: Promise<void>[] = [];
  const clients: RfbTestClient[] = [];
  for (const [kind, k] of [
    ['h264', Number(opts.h264)],
    ['zrle', Number(opts.zrle)],
  ] as const) {
    for (let i = 0; i < k; i++) {
      const c = await RfbTestClient.connect({ port: hello.port, decode: false });
      clients.push(c);
      const rec = { kind, n: 0, bytes: 0 };
      counts.push(rec);
      if (kind === 'h264') {
        c.setEncodings([Encoding.H264, Encoding.ContinuousUpdates]);
        c.enableContinuousUpdates(true);
      } else {
        c.setEncodings([Encoding.Zrle]);
        c.requestUpdate(false);
      }
      loops.push(
        (async () => {
          while (!stop) {
            const u = await c.nextUpdate(20_000);
            if (u.rects.some((r) => r.encoding === Encoding.H264 || r.encoding === Encoding.Zrle)) {
              rec.n += u.rects.filter(
                (r) => r.encoding === Encoding.H264 || r.encoding === Encoding.Zrle,
              ).length;
              rec.bytes += u.bytes;
            }
            if (kind === 'zrle') c.requestUpdate(true);
          }
        })().catch((e) => {
          if (!stop) console.error(`${kind} client failed: ${(e as Error).message}`);
        }),
      );
    }
  }

  await new Promise((r) => setTimeout(r, 2000)); // warm-up: first IDRs, zlib windows
  const s0 = await snapshot();
  const c0 = counts.map((c) => ({ ...c }));
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, Number(opts.seconds) * 1000));
  const s1 = await snapshot();
  const secs = (performance.now() - t0) / 1000;
  const delta = counts.map((c, i) => ({
    kind: c.kind,
    n: c.n - c0[i]!.n,
    bytes: c.bytes - c0[i]!.bytes,
  }));
  stop = true;

  const frames = s1.frames - s0.frames;
  const cpuMs = (s1.cpu.user - s0.cpu.user + s1.cpu.system - s0.cpu.system) / 1000;
  const summary = (kind: 'h264' | 'zrle') => {
    const d = delta.filter((x) => x.kind === kind);
    const rates = d.map((x) => x.n / secs);
    const mbps = d.map((x) => (x.bytes * 8) / secs / 1e6);
    const skipped = s1.clients
      .filter((c) => c.encoding === kind)
      .reduce((a, c) => a + c.framesSkipped, 0);
    return {
      kind,
      clients: d.length,
      fpsMin: Math.min(...rates).toFixed(1),
      fpsMean: (rates.reduce((a, b) => a + b, 0) / rates.length).toFixed(1),
      fpsMax: Math.max(...rates).toFixed(1),
      mbitPerClient: (mbps.reduce((a, b) => a + b, 0) / mbps.length).toFixed(2),
      skippedTotal: skipped,
    };
  };
  console.log(
    `RFB benchmark: ${width}x${height} test pattern at ${fps} fps, ${secs.toFixed(1)} s measured`,
  );
  console.log(`source frames: ${frames} (${(frames / secs).toFixed(1)} fps)`);
  console.table(
    (['h264', 'zrle'] as const).filter((k) => counts.some((c) => c.kind === k)).map(summary),
  );
  console.log(
    `server CPU: ${cpuMs.toFixed(0)} ms over ${secs.toFixed(1)} s = ${((cpuMs / (secs * 1000)) * 100).toFixed(1)}% of a core; ` +
      `${(cpuMs / frames).toFixed(2)} ms CPU per source frame (for all ${counts.length} clients, incl. source playback)`,
  );
  const d = s1.loopDelay;
  const w = s1.pixelWork;
  console.log(
    `ZRLE/Raw pixel work on the ${w.mode === 'worker' ? `worker thread (threadId ${w.lastThreadId})` : 'main thread'}: ` +
      `${w.jobs - s0.pixelWork.jobs} jobs, last ${w.lastMs.toFixed(1)} ms`,
  );
  console.log(
    `server main-thread event-loop delay: p50 ${d.p50.toFixed(1)} ms, p99 ${d.p99.toFixed(1)} ms, max ${d.max.toFixed(1)} ms`,
  );

  for (const c of clients) c.close();
  await Promise.all(loops);
  child.send({ cmd: 'exit' } satisfies ToServer);
  await new Promise((r) => child.once('exit', r));
}

if (opts.server) await serverMain();
else await main();
