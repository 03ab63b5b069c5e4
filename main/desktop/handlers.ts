/**
 * The main process's IPC handlers, apart from Electron so they can be unit-tested. Each handler
 * checks its arguments (none are accepted) and the sender's origin, and validates its answer with
 * the schemas of ./ipc.ts before it leaves the process.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { ConnectionInfo, IPC, MODEL_FILE_MAX_BYTES, NoArgs, OpenModelResult } from './ipc.ts';

/** What the handlers need from Electron and the server. */
export interface HandlerDeps {
  /** The embedded server's origin and token. */
  connection(): ConnectionInfo;
  /** Shows the open dialog; resolves with the chosen paths (empty when cancelled). */
  showOpenDialog(): Promise<string[]>;
}

/** An IPC handler: the sender's URL and the arguments → the answer. */
export type Handler = (senderUrl: string, args: unknown[]) => Promise<unknown>;

/** Builds the handler of every channel in {@link IPC}. */
export function createHandlers(deps: HandlerDeps): Record<string, Handler> {
  const guard = (senderUrl: string, args: unknown[]): void => {
    NoArgs.parse(args);
    const { url } = deps.connection();
    if (!senderUrl.startsWith(`${url}/`)) {
      throw new Error(`IPC refused: ${senderUrl} is not the Zerocast UI`);
    }
  };
  return {
    [IPC.connection]: async (senderUrl, args) => {
      guard(senderUrl, args);
      return ConnectionInfo.parse(deps.connection());
    },
    [IPC.openModel]: async (senderUrl, args) => {
      guard(senderUrl, args);
      const [path] = await deps.showOpenDialog();
      if (!path) return OpenModelResult.parse({ canceled: true });
      const info = await stat(path);
      if (info.size > MODEL_FILE_MAX_BYTES) {
        throw new Error(`${basename(path)} is larger than 256 MiB`);
      }
      const data = new Uint8Array(await readFile(path));
      return OpenModelResult.parse({ canceled: false, name: basename(path), data });
    },
  };
}
