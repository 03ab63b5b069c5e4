import { afterEach, describe, expect, it } from 'vitest';
import { H264TestSource } from '../../../e2e/support/h264-test-source.ts';
import { connectNdcClient, NdcWhepClient } from '../../../e2e/support/ndc-whep-client.ts';
import { WhepError, WhepOutput } from './whep-output.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function source(autoStart = true): H264TestSource {
  const s = new H264TestSource({
    width: 320,
    height: 180,
    fps: 30,
    frames: 60,
    gop: 30,
    autoStart,
  });
  cleanups.push(() => s.stop());
  return s;
}

function output(src: H264TestSource, opts = {}): WhepOutput {
  const out = new WhepOutput(src, opts);
  cleanups.push(() => out.close());
  return out;
}

async function connect(out: WhepOutput, pt = 102): Promise<{ client: NdcWhepClient; id: string }> {
  let id = '';
  const client = await connectNdcClient(
    async (offer) => {
      const answer = await out.createSession(offer);
      id = answer.id;
      return { answer: answer.sdp, release: () => out.deleteSession(answer.id) };
    },
    { payloadType: pt },
  );
  cleanups.push(() => client.close());
  const sdp = client.pc.remoteDescription()?.sdp ?? '';
  expect(sdp).toMatch(/^v=0\r\n/);
  expect(sdp).toContain('a=sendonly');
  expect(sdp).toMatch(/a=candidate:/);
  expect(sdp).toContain(`a=rtpmap:${pt} H264/90000`);
  expect(sdp).toContain('packetization-mode=1');
  expect(sdp).toContain('profile-level-id=42e01f');
  await client.waitOpen();
  return { client, id };
}

describe('WhepOutput with a node-datachannel viewer', () => {
  it('streams RTP with the offered payload type, starting with an IDR, 90 kHz timestamps', async () => {
    const src = source();
    const out = output(src);
    const { client, id } = await connect(out, 109);
    await client.waitForPackets(100);
    expect(client.rtp.every((p) => p.payloadType === 109)).toBe(true);
    expect(src.keyframeRequests).toContain('new-viewer');
    // The first RTP packet carries the SPS of an IDR access unit (single NAL unit packet).
    const first = client.rtp[0]!;
    expect(first.size).toBeLessThan(100);
    // Timestamps advance by 3000 (90 kHz / 30 fps) per access unit.
    const stamps = [...new Set(client.rtp.map((p) => p.timestamp))];
    const steps = stamps.slice(1).map((t, i) => (t - stamps[i]!) >>> 0);
    expect(steps.filter((d) => d % 3000 === 0).length).toBe(steps.length);
    // Markers end each access unit.
    expect(client.rtp.filter((p) => p.marker).length).toBeGreaterThanOrEqual(stamps.length - 1);
    // RTCP sender reports arrive.
    await new Promise((r) => setTimeout(r, 1200));
    expect(client.rtcp.some((b) => b[1] === 200)).toBe(true);
    const stats = out.sessionStats(id)!;
    expect(stats.state).toBe('connected');
    expect(stats.framesSent).toBeGreaterThan(3);
    expect(stats.packetsSent).toBeGreaterThan(0);
    expect(stats.bytesSent).toBeGreaterThan(0);
  });

  it('forwards PLI to requestKeyframe and counts NACKs', async () => {
    const src = source();
    const out = output(src, { keyframeRequestIntervalMs: 0 });
    const { client, id } = await connect(out);
    await client.waitForPackets(20);
    const before = src.keyframeRequests.filter((r) => r === 'pli').length;
    client.sendPli();
    client.sendNack([client.rtp[3]!.seq, client.rtp[4]!.seq]);
    await expect.poll(() => out.sessionStats(id)?.plis, { timeout: 5000 }).toBe(1);
    await expect.poll(() => out.sessionStats(id)?.nackedPackets, { timeout: 5000 }).toBe(2);
    expect(out.sessionStats(id)?.nacks).toBe(1);
    expect(src.keyframeRequests.filter((r) => r === 'pli').length).toBe(before + 1);
  });

  it('sends a new viewer nothing before an IDR and drops a backed-up viewer to the next IDR', async () => {
    const src = source(false);
    src.step(2); // live, somewhere inside a GOP
    const out = output(src, { maxQueuedFrames: 10 });
    const { client, id } = await connect(out);
    // The output asked for an IDR when the track opened; the source serves it on the next step.
    await expect.poll(() => src.keyframeRequests, { timeout: 5000 }).toEqual(['new-viewer']);
    src.step(1);
    await client.waitForPackets(3);
    expect(out.sessionStats(id)?.keyframesSent).toBe(1);
    // 20 access units in one engine tick: the 11th overflows the queue (10), the 11 queued ones
    // are dropped and the viewer waits for an IDR, which the source serves at once.
    src.step(20);
    const s = out.sessionStats(id)!;
    expect(s.resyncs).toBe(1);
    expect(s.framesSkipped).toBe(11);
    expect(src.keyframeRequests).toContain('viewer-resync');
    // It takes the stream again from that IDR on: IDR + 8 + 1 more access units.
    src.step(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(out.sessionStats(id)?.keyframesSent).toBe(2);
    expect(out.sessionStats(id)?.framesSent).toBe(1 + 10);
  });

  it('returns, per access unit, a promise that settles once it was sent (the send stage)', async () => {
    const src = source();
    // Capture what the output returns to the engine for each access unit.
    const returned: (Promise<void> | void)[] = [];
    const subscribe = src.subscribe.bind(src);
    src.subscribe = (listener) =>
      subscribe({
        onAccessUnit: (au) => {
          const r = listener.onAccessUnit?.(au);
          returned.push(r);
          return r;
        },
      });
    const out = output(src);
    expect(returned.length === 0 || returned.every((r) => r === undefined)).toBe(true);
    const { client } = await connect(out);
    const promises = () => returned.filter((r): r is Promise<void> => r instanceof Promise);
    await expect.poll(() => promises().length, { timeout: 10_000 }).toBeGreaterThan(5);
    const pending = promises();
    const packetsAtSettle: number[] = [];
    await Promise.all(
      pending.slice(-3).map((p) => p.then(() => packetsAtSettle.push(client.rtp.length))),
    );
    expect(packetsAtSettle).toHaveLength(3);
  });

  it('keeps streaming to one viewer while another leaves', async () => {
    const src = source();
    const out = output(src);
    const a = await connect(out);
    const b = await connect(out);
    expect(out.viewerCount).toBe(2);
    await a.client.waitForPackets(30);
    await b.client.waitForPackets(30);
    b.client.close();
    expect(out.deleteSession(b.id)).toBe(true);
    expect(out.deleteSession(b.id)).toBe(false);
    expect(out.viewerCount).toBe(1);
    const n = a.client.rtp.length;
    await a.client.waitForPackets(n + 30);
  });

  it('refuses offers with 409 while the source is not live and 400 for bad SDP', async () => {
    const src = source(false);
    const out = output(src);
    const client = new NdcWhepClient();
    cleanups.push(() => client.close());
    const offer = await client.offer();
    await expect(out.createSession(offer)).rejects.toMatchObject({ status: 409 });
    src.step(1);
    await expect(out.createSession('v=0\r\ngarbage\r\n')).rejects.toBeInstanceOf(WhepError);
    await expect(out.createSession('v=0\r\ngarbage\r\n')).rejects.toMatchObject({ status: 400 });
    expect(out.viewerCount).toBe(0);
  });

  it('closes every session on close()', async () => {
    const src = source();
    const out = new WhepOutput(src);
    const { client } = await connect(out);
    await client.waitForPackets(5);
    await out.close();
    expect(out.viewerCount).toBe(0);
    await expect(out.createSession('v=0')).rejects.toMatchObject({ status: 503 });
  });
});
