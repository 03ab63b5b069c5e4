/**
 * Electron-only: launches the built desktop app and checks the window (secure webPreferences,
 * the UI loaded, the preload's bridge present). Skips, saying why, where no Electron binary exists
 * (Electron's installer downloads it from github.com, which these machines cannot reach).
 */
import { spawnSync } from 'node:child_process';
import { _electron as electron } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { APP_DIR, buildDesktop } from './build.ts';
import { findElectron } from './launch.ts';

const found = findElectron();
if ('reason' in found) console.log(`[electron.test] skipped: ${found.reason}`);

describe.skipIf('reason' in found)('desktop app (Electron)', () => {
  it('opens the UI in a sandboxed, context-isolated window with the bridge', async () => {
    const vite = spawnSync(process.execPath, [
      'node_modules/vite/bin/vite.js',
      'build',
      '--config',
      'renderer/app/vite.config.ts',
      '--logLevel',
      'warn',
    ]);
    expect(vite.status).toBe(0);
    await buildDesktop();
    const app = await electron.launch({
      executablePath: (found as { path: string }).path,
      args: [APP_DIR, '--no-sandbox'],
      timeout: 120_000,
    });
    try {
      const page = await app.firstWindow();
      await page.waitForSelector('[data-testid=view-scenes]', { timeout: 120_000 });
      expect(await page.title()).toBe('Zerocast');
      expect(await page.evaluate(() => typeof (window as { zerocast?: unknown }).zerocast)).toBe(
        'object',
      );
      expect(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe(
        'undefined',
      );
      const prefs = await app.evaluate(({ BrowserWindow }) => {
        const wc = BrowserWindow.getAllWindows()[0]!.webContents as unknown as {
          getLastWebPreferences(): Record<string, unknown> | null;
        };
        const w = wc.getLastWebPreferences();
        return {
          contextIsolation: w?.contextIsolation,
          sandbox: w?.sandbox,
          nodeIntegration: w?.nodeIntegration,
        };
      });
      expect(prefs).toEqual({ contextIsolation: true, sandbox: true, nodeIntegration: false });
    } finally {
      await app.close();
    }
  });
});
