/** The HTTP server (WHEP, API, viewer page): see {@link createServer}. */
export {
  createServer,
  isSdpContentType,
  type ServerOptions,
  type ZerocastServer,
} from './server.ts';
export { generateToken, checkBearer } from './auth.ts';
export { buildViewerAssets, DEFAULT_VIEWER_DIR, type ViewerAssets } from './viewer-assets.ts';
