/**
 * `npm start`: launches the desktop app where an Electron binary exists; otherwise says why it
 * cannot and exits with status 1. Builds the UI (Vite) and the main process + preload (esbuild)
 * first.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { APP_DIR, ROOT, buildDesktop } from './build.ts';

/**
 * The Electron binary's path, or why there is none. The `electron` npm package exports the path
 * of the binary its postinstall downloaded; that download needs github.com, so on machines that
 * cannot reach it (or where install scripts did not run) there is no binary.
 */
export function findElectron(): { path: string } | { reason: string } {
  if (process.env.ELECTRON_PATH) {
    return existsSync(process.env.ELECTRON_PATH)
      ? { path: process.env.ELECTRON_PATH }
      : { reason: `ELECTRON_PATH=${process.env.ELECTRON_PATH} does not exist` };
  }
  try {
    const path = createRequire(import.meta.url)('electron') as unknown;
    if (typeof path === 'string' && existsSync(path)) return { path };
    return { reason: `the electron package points at ${String(path)}, which does not exist` };
  } catch (error) {
    return {
      reason:
        `no Electron binary: ${(error as Error).message.split('\n')[0]} ` +
        '(the electron package downloads it from github.com in its postinstall; run ' +
        '`node node_modules/electron/install.js` where github.com is reachable, or set ELECTRON_PATH)',
    };
  }
}

async function main(): Promise<void> {
  const electron = findElectron();
  if ('reason' in electron) {
    console.error(`Zerocast desktop cannot start here: ${electron.reason}.`);
    console.error('The same UI runs in any browser: `npm run serve`, then open <server>/app/.');
    process.exit(1);
  }
  const vite = spawnSync(
    process.execPath,
    [
      join(ROOT, 'node_modules/vite/bin/vite.js'),
      'build',
      '--config',
      join(ROOT, 'renderer/app/vite.config.ts'),
      '--logLevel',
      'warn',
    ],
    { stdio: 'inherit' },
  );
  if (vite.status !== 0) process.exit(vite.status ?? 1);
  await buildDesktop();
  const child = spawn(electron.path, [APP_DIR, ...process.argv.slice(2)], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error((error as Error).message);
    process.exit(1);
  });
}
