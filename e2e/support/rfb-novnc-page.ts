/**
 * Test support (not product): an HTTP server on 127.0.0.1 that serves a page running noVNC 1.7
 * (bundled from `@novnc/novnc` with esbuild) and mounts RFB servers' WebSocket endpoints.
 *
 * The page connects when loaded with `?path=<ws path>&password=<pw>` (or `?url=<ws URL>` for an RFB
 * WebSocket elsewhere, e.g. `serve`'s `/rfb`) and records noVNC's events
 * in `window.__rfbEvents` (`connect`, `disconnect`, `securityfailure`, `credentialsrequired`).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { build } from 'esbuild';
import type { RfbServer } from '../../main/outputs/rfb/server.ts';

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>noVNC test</title></head>
<body style="margin:0;background:#000">
<div id="screen" style="width:800px;height:600px"></div>
<script type="module">
import RFB from '/novnc.js';
const q = new URLSearchParams(location.search);
window.__rfbEvents = [];
const url = q.get('url') ?? 'ws://' + location.host + '/' + q.get('path');
const opts = {};
if (q.has('password')) opts.credentials = { password: q.get('password') };
const rfb = new RFB(document.getElementById('screen'), url, opts);
rfb.viewOnly = q.get('viewOnly') !== '0';
rfb.scaleViewport = false;
for (const ev of ['connect', 'disconnect', 'securityfailure', 'credentialsrequired']) {
  rfb.addEventListener(ev, (e) => window.__rfbEvents.push({ type: ev, detail: e.detail ?? null }));
}
window.__rfb = rfb;
</script></body></html>`;

/** Bundles noVNC's ESM entry (core/rfb.js) into one ES module. */
export async function bundleNoVnc(): Promise<string> {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('@novnc/novnc');
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/** A page server; `mounts` maps a WebSocket path (without slash) to the RFB server behind it. */
export async function startNoVncPage(
  mounts: Record<string, RfbServer>,
): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const js = await bundleNoVnc();
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/novnc.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(js);
    } else if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(PAGE);
    } else {
      res.writeHead(404).end();
    }
  });
  server.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname.slice(1);
    const rfb = mounts[path];
    if (rfb) rfb.handleUpgrade(req, socket, head);
    else socket.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    server,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
