/**
 * RFB/VNC output of Zerocast (issue 5): {@link RfbServer} and the protocol pieces it is made of.
 */
export { RfbServer, type RfbPixelWork, type RfbServerOptions } from './server.ts';
export type { RfbClientStats, RfbInputSink, RfbLogger, RfbEncodingName } from './connection.ts';
export { RFB_LIMITS, Encoding, SecurityType } from './protocol.ts';
export { DEFAULT_PIXEL_FORMAT, type PixelFormat } from './pixel-format.ts';
export { vncAuthResponse, vncPasswdFile } from './vnc-auth.ts';
