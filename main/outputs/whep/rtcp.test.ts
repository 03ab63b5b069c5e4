import { describe, expect, it } from 'vitest';
import { buildNack, buildPli, compactNtpNow, parseRtcp, rttFromReport } from './rtcp.ts';

function receiverReport(ssrc: number, lsr: number, dlsr: number): Buffer {
  const b = Buffer.alloc(32);
  b.writeUInt8(0x81, 0); // V=2, RC=1
  b.writeUInt8(201, 1);
  b.writeUInt16BE(7, 2);
  b.writeUInt32BE(0x1234, 4);
  b.writeUInt32BE(ssrc, 8);
  b.writeUInt32BE((64 << 24) | 5, 12); // fraction 64/256, 5 lost
  b.writeUInt32BE(1000, 16);
  b.writeUInt32BE(900, 20); // jitter 900 = 10 ms at 90 kHz
  b.writeUInt32BE(lsr >>> 0, 24);
  b.writeUInt32BE(dlsr, 28);
  return b;
}

describe('RTCP reader', () => {
  it('reads receiver reports and computes RTT (RFC 3550 6.4.1)', () => {
    const now = Date.now();
    const lsr = compactNtpNow(now - 50); // SR sent 50 ms ago
    const dlsr = Math.round(0.02 * 65536); // receiver held it 20 ms
    const fb = parseRtcp(receiverReport(42, lsr, dlsr));
    expect(fb.reports).toHaveLength(1);
    const r = fb.reports[0]!;
    expect(r.ssrc).toBe(42);
    expect(r.fractionLost).toBe(0.25);
    expect(r.cumulativeLost).toBe(5);
    expect(r.jitter).toBe(900);
    expect(rttFromReport(r, now)).toBeGreaterThan(28);
    expect(rttFromReport(r, now)).toBeLessThan(32);
  });

  it('reads NACK, PLI, FIR and REMB from a compound packet', () => {
    const fir = Buffer.alloc(20);
    fir.writeUInt8(0x84, 0);
    fir.writeUInt8(206, 1);
    fir.writeUInt16BE(4, 2);
    const remb = Buffer.alloc(24);
    remb.writeUInt8(0x8f, 0);
    remb.writeUInt8(206, 1);
    remb.writeUInt16BE(5, 2);
    remb.write('REMB', 12, 'latin1');
    remb.writeUInt8(1, 16);
    remb.writeUInt8((3 << 2) | 0, 17); // exp 3
    remb.writeUInt16BE(1000, 18); // mantissa 1000 → 8000 bit/s
    const packet = Buffer.concat([
      buildNack(1, 42, [100, 101, 105, 200]),
      buildPli(1, 42),
      fir,
      remb,
    ]);
    const fb = parseRtcp(packet);
    expect(fb.nacks).toBe(1);
    expect(fb.nackedSeqs.sort((a, b) => a - b)).toEqual([100, 101, 105, 200]);
    expect(fb.plis).toBe(1);
    expect(fb.firs).toBe(1);
    expect(fb.rembBps).toBe(8000);
  });

  it('never throws on garbage or truncated input', () => {
    expect(parseRtcp(Buffer.from([1, 2, 3])).reports).toEqual([]);
    const truncated = receiverReport(1, 0, 0).subarray(0, 20);
    expect(parseRtcp(truncated).reports).toEqual([]);
    expect(rttFromReport(parseRtcp(receiverReport(1, 0, 0)).reports[0]!)).toBeUndefined();
  });
});
