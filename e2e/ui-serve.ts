/**
 * The UI's e2e server: the real engine and HTTP server (main/engine, main/server) with the control
 * routes and the built UI of main/api registered on it — what `serve` runs once the lead wires
 * main/api/routes.ts and main/api/ui-route.ts into main/cli/serve.ts.
 *
 * Usage: `tsx e2e/ui-serve.ts [--scene NAME] [--size WxH] [--fps N] [--bitrate BPS] [--port N]`.
 * Prints `ZEROCAST_UI <base URL>` once listening; stops on SIGTERM/SIGINT.
 */
import { parseArgs } from 'node:util';
import { Engine, DEFAULT_SETTINGS } from '../main/engine/engine.ts';
import { createLogger } from '../main/engine/log.ts';
import { createServer } from '../main/server/server.ts';
import { BUILTIN_SCENES } from '../main/scenes/index.ts';
import { registerControlRoutes, SceneThumbnails, toApiStatus } from '../main/api/routes.ts';
import { registerUi } from '../main/api/ui-route.ts';

const { values } = parseArgs({
  options: {
    scene: { type: 'string', default: 'test-pattern' },
    size: { type: 'string', default: '640x360' },
    fps: { type: 'string', default: '30' },
    bitrate: { type: 'string', default: String(DEFAULT_SETTINGS.bitrate) },
    port: { type: 'string', default: '0' },
  },
});
const [width, height] = values.size.split('x').map(Number) as [number, number];
const log = createLogger('zerocast-ui-e2e');
log.level = 'warn';
const engine = await Engine.create(
  {
    scene: values.scene,
    width,
    height,
    fps: Number(values.fps),
    bitrate: Number(values.bitrate),
    keyframeInterval: Number(values.fps) * 2,
  },
  log,
);
const thumbnails = new SceneThumbnails();
await thumbnails.renderAll(
  engine,
  BUILTIN_SCENES.map((s) => s.name),
);
let base = '';
const server = await createServer({
  source: engine,
  timing: engine.timing,
  status: () =>
    toApiStatus({
      engine: engine.status(),
      viewers: server.whep.stats(),
      whepUrl: `${base}/whep`,
      viewerUrl: `${base}/`,
    }),
  whep: { logger: log.child({ room: 'whep' }) },
});
registerControlRoutes(server.app, {
  engine,
  scenes: BUILTIN_SCENES,
  thumbnails,
  status: () =>
    toApiStatus({
      engine: engine.status(),
      viewers: server.whep.stats(),
      whepUrl: `${base}/whep`,
      viewerUrl: `${base}/`,
    }),
});
await registerUi(server.app);
base = await server.listen({ host: '127.0.0.1', port: Number(values.port) });
engine.start();
console.log(`ZEROCAST_UI ${base}`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await server.close();
  await engine.stop();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
