/**
 * Worker-thread entry of the RFB pixel path (see ./pixel-thread.ts): converts NV12 frames to
 * client pixel formats and builds the uncompressed ZRLE tile data / Raw rectangles off the main
 * thread, with exactly the code the synchronous path uses ({@link SharedFrame}).
 *
 * It keeps the latest frame it was handed (and its per-format conversions), so that a format
 * asked for later for the same frame (a client that just connected or changed its pixel format)
 * needs no second copy of the NV12 bytes.
 */
import { parentPort, threadId } from 'node:worker_threads';
import { SharedFrame } from './frame-cache.ts';
import type { PixelJob, PixelOutput, PixelResult } from './pixel-thread.ts';

if (!parentPort) throw new Error('pixel-worker.ts runs only as a worker thread');
const port = parentPort;

let current: SharedFrame | undefined;

port.on('message', (job: PixelJob) => {
  const t0 = performance.now();
  const result: PixelResult = { seq: job.seq, frameId: job.frameId, threadId, ms: 0, out: [] };
  const transfer: ArrayBuffer[] = [];
  try {
    if (job.frame) current = new SharedFrame({ ...job.frame, ptsMs: 0 });
    if (current?.id !== job.frameId) {
      result.error = `frame ${job.frameId} is no longer held`;
    } else {
      for (const want of job.wants) {
        const bytes = want.kind === 'zrle' ? current.zrleData(want.pf) : current.rawData(want.pf);
        // A copy of its own, so that it can be transferred: the cached Buffer stays usable here
        // (and may sit in Node's shared allocation pool, which cannot be transferred).
        const data = new Uint8Array(bytes.length);
        data.set(bytes);
        transfer.push(data.buffer);
        const out: PixelOutput = { key: want.key, data };
        result.out.push(out);
      }
    }
  } catch (e) {
    result.error = (e as Error).message;
    result.out = [];
    transfer.length = 0;
  }
  result.ms = performance.now() - t0;
  port.postMessage(result, transfer);
});
