/**
 * The preload (sandboxed; bundled to CommonJS by ./build.ts): exposes {@link DesktopBridge} as
 * `window.zerocast` through contextBridge. Nothing else from Node or Electron reaches the page.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { createBridge } from './bridge.ts';

contextBridge.exposeInMainWorld(
  'zerocast',
  createBridge((channel, ...args) => ipcRenderer.invoke(channel, ...args), process.platform),
);
