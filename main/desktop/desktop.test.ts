/** The desktop shell's logic without Electron: IPC schemas, handlers, the preload's bridge. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sampleStatus } from '../api/fixtures.ts';
import { createBridge } from './bridge.ts';
import { createHandlers } from './handlers.ts';
import { ConnectionInfo, IPC, OpenModelResult } from './ipc.ts';

const UI = 'http://127.0.0.1:4321';

function handlers(paths: string[]) {
  return createHandlers({
    connection: () => ({ url: UI, token: 'tok' }),
    showOpenDialog: async () => paths,
  });
}

describe('IPC schemas', () => {
  it('accept valid and reject invalid messages', () => {
    expect(ConnectionInfo.safeParse({ url: UI, token: 't' }).success).toBe(true);
    expect(ConnectionInfo.safeParse({ url: 'file:///etc/passwd' }).success).toBe(false);
    expect(ConnectionInfo.safeParse({ url: UI, extra: 1 }).success).toBe(false);
    expect(OpenModelResult.safeParse({ canceled: true }).success).toBe(true);
    expect(
      OpenModelResult.safeParse({ canceled: false, name: 'a.glb', data: new Uint8Array(4) })
        .success,
    ).toBe(true);
    expect(
      OpenModelResult.safeParse({ canceled: false, name: 'a.glb', data: 'AAAA' }).success,
    ).toBe(false);
    expect(OpenModelResult.safeParse({ canceled: false, data: new Uint8Array(4) }).success).toBe(
      false,
    );
  });
});

describe('main-process handlers', () => {
  it('answer the UI with the connection', async () => {
    const h = handlers([]);
    expect(await h[IPC.connection]!(`${UI}/app/`, [])).toEqual({ url: UI, token: 'tok' });
  });
  it('refuse other senders and unexpected arguments', async () => {
    const h = handlers([]);
    await expect(h[IPC.connection]!('https://evil.example/', [])).rejects.toThrow(/refused/);
    await expect(h[IPC.connection]!(`${UI}.evil.example/`, [])).rejects.toThrow(/refused/);
    await expect(h[IPC.openModel]!(`${UI}/app/`, ['/etc/passwd'])).rejects.toThrow();
  });
  it('read the chosen model file, or report a cancelled dialog', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zc-glb-'));
    const file = join(dir, 'robot.glb');
    writeFileSync(file, Buffer.from('glTF\x02\x00\x00\x00'));
    const picked = OpenModelResult.parse(await handlers([file])[IPC.openModel]!(`${UI}/app/`, []));
    expect(picked.canceled).toBe(false);
    if (!picked.canceled) {
      expect(picked.name).toBe('robot.glb');
      expect(picked.data.byteLength).toBe(8);
    }
    expect(await handlers([])[IPC.openModel]!(`${UI}/app/`, [])).toEqual({ canceled: true });
  });
});

describe('preload bridge', () => {
  it('uploads the picked model through the API client and returns the status', async () => {
    const posted: { url: string; type: string; auth: string; size: number }[] = [];
    const fetch_ = (async (url: string, init: RequestInit) => {
      const headers = init.headers as Record<string, string>;
      posted.push({
        url,
        type: headers['Content-Type']!,
        auth: headers.Authorization!,
        size: (init.body as Uint8Array).byteLength,
      });
      return new Response(JSON.stringify(sampleStatus), { status: 200 });
    }) as unknown as typeof fetch;
    const invoke = async (channel: string) =>
      channel === IPC.connection
        ? { url: UI, token: 'tok' }
        : { canceled: false, name: 'robot.glb', data: new Uint8Array(16) };
    const bridge = createBridge(invoke, 'linux', fetch_);
    const r = await bridge.openModelFile();
    expect(r.canceled).toBe(false);
    if (!r.canceled) expect(r.status.encoder.name).toBe('openh264');
    expect(posted).toEqual([
      { url: `${UI}/api/model`, type: 'model/gltf-binary', auth: 'Bearer tok', size: 16 },
    ]);
    expect(Object.isFrozen(bridge)).toBe(true);
  });
  it('rejects malformed IPC answers', async () => {
    const bridge = createBridge(async () => ({ url: 42 }), 'linux');
    await expect(bridge.connection()).rejects.toThrow();
    const cancel = createBridge(async () => ({ canceled: true }), 'darwin');
    expect(await cancel.openModelFile()).toEqual({ canceled: true });
  });
});
