/**
 * The preload's logic, apart from Electron so it can be unit-tested: builds the
 * {@link DesktopBridge} exposed on `window.zerocast` from an `invoke` function (ipcRenderer.invoke
 * in the app). Every IPC answer is validated with the schemas of ./ipc.ts; model uploads go
 * through the same typed API client as the UI (main/api/client.ts).
 */
import { ZerocastClient } from '../api/client.ts';
import {
  ConnectionInfo,
  IPC,
  OpenModelResult,
  type DesktopBridge,
  type OpenModelOutcome,
} from './ipc.ts';

/** `ipcRenderer.invoke`'s shape. */
export type Invoke = (channel: string, ...args: unknown[]) => Promise<unknown>;

/** Builds the bridge. `fetchImpl` is for tests. */
export function createBridge(
  invoke: Invoke,
  platform: string,
  fetchImpl?: typeof fetch,
): DesktopBridge {
  const connection = async (): Promise<ConnectionInfo> =>
    ConnectionInfo.parse(await invoke(IPC.connection));
  return Object.freeze({
    platform,
    connection,
    async openModelFile(): Promise<OpenModelOutcome> {
      const picked = OpenModelResult.parse(await invoke(IPC.openModel));
      if (picked.canceled) return { canceled: true };
      const { url, token } = await connection();
      const client = new ZerocastClient({
        baseUrl: url,
        token,
        ...(fetchImpl ? { fetch: fetchImpl } : {}),
      });
      const status = await client.uploadModel(picked.data);
      return { canceled: false, name: picked.name, status };
    },
  });
}
