/** Sample API payloads for tests. */
import { DEFAULT_SETTINGS } from '../engine/settings.ts';

/** A status as the server sends it. */
export const sampleStatus = {
  adapter: {
    name: 'llvmpipe (LLVM 15.0.6, 256 bits)',
    backend: 'vulkan',
    deviceType: 'cpu',
    software: true,
  },
  encoder: {
    name: 'openh264',
    chain: [
      { name: 'nvenc', ok: false, reason: 'no NVIDIA GPU' },
      { name: 'openh264', ok: true },
    ],
  },
  settings: { ...DEFAULT_SETTINGS },
  live: true,
  framesRendered: 1200,
  framesEncoded: 1190,
  framesDropped: 10,
  fps: 59,
  outputs: {
    whep: {
      url: 'http://127.0.0.1:8080/whep',
      viewerUrl: 'http://127.0.0.1:8080/',
      viewers: [
        {
          id: 'a1',
          bitrate: 5_900_000,
          rttMs: 1.2,
          lossPercent: 0,
          nacks: 0,
          plis: 1,
          extra: 'kept out',
        },
      ],
    },
    rfb: { address: '127.0.0.1:5900', password: 'secret12', clients: 0 },
  },
};
