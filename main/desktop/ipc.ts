/**
 * The IPC contract between the Electron main process and the preload: channel names, and a zod
 * schema for every message in both directions. Both sides validate; nothing else crosses IPC.
 *
 * The renderer itself never talks IPC: it sees {@link DesktopBridge} on `window.zerocast`
 * (exposed by the preload through contextBridge) and otherwise uses the same HTTP API as in a browser.
 */
import { z } from 'zod';
import type { Status } from '../api/schema.ts';

/** IPC channel names (ipcRenderer.invoke → ipcMain.handle). */
export const IPC = {
  /** → {@link ConnectionInfo}: where the embedded server listens. No arguments. */
  connection: 'zerocast:connection',
  /** → {@link OpenModelResult}: shows the native open dialog for a .glb and reads the file. No arguments. */
  openModel: 'zerocast:open-model',
} as const;

/** Arguments of every channel: none. */
export const NoArgs = z.tuple([]);

/** Where the embedded server listens and its API token. */
export const ConnectionInfo = z.strictObject({
  /** Origin of the server, e.g. `http://127.0.0.1:41234`. */
  url: z.url({ protocol: /^https?$/ }),
  /** Bearer token for the API and WHEP, when the server has one. */
  token: z.string().min(1).optional(),
});
/** Where the embedded server listens. */
export type ConnectionInfo = z.infer<typeof ConnectionInfo>;

/** Largest model file the dialog hands over, bytes (the API's limit: 256 MiB). */
export const MODEL_FILE_MAX_BYTES = 256 * 1024 * 1024;

/** Answer of {@link IPC.openModel}. */
export const OpenModelResult = z.discriminatedUnion('canceled', [
  z.strictObject({ canceled: z.literal(true) }),
  z.strictObject({
    canceled: z.literal(false),
    /** File name without directories, e.g. `robot.glb`. */
    name: z.string().min(1).max(255),
    /** The file's bytes. */
    data: z.instanceof(Uint8Array).refine((d) => d.byteLength <= MODEL_FILE_MAX_BYTES, {
      message: 'the model file is larger than 256 MiB',
    }),
  }),
]);
/** Answer of {@link IPC.openModel}. */
export type OpenModelResult = z.infer<typeof OpenModelResult>;

/** What {@link DesktopBridge.openModelFile} resolves with. */
export type OpenModelOutcome =
  { canceled: true } | { canceled: false; name: string; status: Status };

/**
 * The API the preload exposes on `window.zerocast` in the desktop app (absent in browsers).
 * Every method is async and validated on both sides of IPC.
 */
export interface DesktopBridge {
  /** Operating system (`linux`, `darwin`, `win32`). */
  readonly platform: string;
  /** The embedded server's URL and token. */
  connection(): Promise<ConnectionInfo>;
  /**
   * Shows the native file dialog for a binary glTF (.glb), uploads the chosen file to the server
   * (`POST /api/model`) and resolves with the new status.
   * @throws Error with the server's message when the model does not load.
   */
  openModelFile(): Promise<OpenModelOutcome>;
}
