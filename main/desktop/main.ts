/**
 * The Electron main process, kept thin: starts the same engine + server as `serve`
 * (./host.ts), opens one window on the UI that server serves, and answers the preload's IPC
 * (./handlers.ts). Bundled to app/dist/desktop/main.mjs by ./build.ts; `npm start` runs it.
 *
 * Security: contextIsolation, sandbox, no nodeIntegration, navigation locked to the server's
 * origin, other links open in the system browser, permission requests denied.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, session, shell } from 'electron';
import { createHandlers } from './handlers.ts';
import { startDesktopServer, type DesktopServer } from './host.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
let server: DesktopServer | undefined;
let window: BrowserWindow | undefined;

function createWindow(srv: DesktopServer): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 1100,
    minHeight: 700,
    title: 'Zerocast',
    backgroundColor: '#0b0e13',
    show: false,
    webPreferences: {
      preload: join(here, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  win.once('ready-to-show', () => win.show());
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:/.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (event, url) => {
    if (!url.startsWith(`${srv.url}/`)) event.preventDefault();
  });
  void win.loadURL(srv.uiUrl);
  return win;
}

async function start(): Promise<void> {
  try {
    server = await startDesktopServer();
  } catch (error) {
    dialog.showErrorBox('Zerocast cannot start', (error as Error).message);
    app.exit(1);
    return;
  }
  const srv = server;
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) =>
    callback(false),
  );
  const handlers = createHandlers({
    connection: () => ({ url: srv.url, token: srv.token }),
    async showOpenDialog() {
      const options: Electron.OpenDialogOptions = {
        title: 'Open a glTF model',
        properties: ['openFile'],
        filters: [{ name: 'glTF binary', extensions: ['glb'] }],
      };
      const result = window
        ? await dialog.showOpenDialog(window, options)
        : await dialog.showOpenDialog(options);
      return result.canceled ? [] : result.filePaths;
    },
  });
  for (const [channel, handler] of Object.entries(handlers)) {
    ipcMain.handle(channel, (event, ...args: unknown[]) =>
      handler(event.senderFrame?.url ?? '', args),
    );
  }
  window = createWindow(srv);
  window.on('closed', () => (window = undefined));
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (window?.isMinimized()) window.restore();
    window?.focus();
  });
  app.whenReady().then(start, (error: unknown) => {
    console.error(error);
    app.exit(1);
  });
  app.on('window-all-closed', () => app.quit());
  let quitting = false;
  app.on('before-quit', (event) => {
    if (quitting || !server) return;
    event.preventDefault();
    quitting = true;
    server.close().finally(() => app.quit());
  });
}
