/**
 * A small RTCP reader for what a video sender needs from its receivers: receiver report blocks
 * (RFC 3550 section 6.4), generic NACK (RFC 4585 section 6.2.1), PLI (RFC 4585 section 6.3.1),
 * FIR (RFC 5104 section 4.3.1) and REMB (draft-alvestrand-rmcat-remb).
 */

/** One reception report block (RFC 3550 section 6.4.1). */
export interface ReportBlock {
  /** SSRC of the RTP stream this block reports on. */
  readonly ssrc: number;
  /** Fraction of packets lost since the previous report, 0..1. */
  readonly fractionLost: number;
  /** Cumulative number of packets lost (may be negative with duplicates). */
  readonly cumulativeLost: number;
  /** Extended highest sequence number received. */
  readonly highestSeq: number;
  /** Interarrival jitter in RTP timestamp units. */
  readonly jitter: number;
  /** Middle 32 bits of the NTP timestamp of the last SR received (0: none yet). */
  readonly lastSr: number;
  /** Delay since that SR, in 1/65536 s. */
  readonly delaySinceLastSr: number;
}

/** Feedback found in one (compound) RTCP packet. */
export interface RtcpFeedback {
  /** Report blocks of SR/RR packets. */
  readonly reports: ReportBlock[];
  /** Sequence numbers asked for by generic NACKs. */
  readonly nackedSeqs: number[];
  /** Number of generic NACK packets. */
  nacks: number;
  /** Number of PLI packets. */
  plis: number;
  /** Number of FIR packets. */
  firs: number;
  /** Latest REMB estimate in bits/s, if any. */
  rembBps?: number;
}

/**
 * Reads a compound RTCP packet. Unknown packet types are skipped; a truncated packet ends the
 * walk (what was read before is kept). Never throws.
 */
export function parseRtcp(buf: Uint8Array): RtcpFeedback {
  const out: RtcpFeedback = { reports: [], nackedSeqs: [], nacks: 0, plis: 0, firs: 0 };
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = 0;
  while (off + 4 <= buf.length) {
    const b0 = view.getUint8(off);
    if (b0 >> 6 !== 2) break;
    const count = b0 & 0x1f;
    const pt = view.getUint8(off + 1);
    const len = (view.getUint16(off + 2) + 1) * 4;
    if (off + len > buf.length) break;
    const end = off + len;
    if (pt === 200 || pt === 201) {
      // SR: header(4) + sender SSRC(4) + sender info(20); RR: header(4) + sender SSRC(4).
      let p = off + (pt === 200 ? 28 : 8);
      for (let i = 0; i < count && p + 24 <= end; i += 1, p += 24) {
        const lost = view.getUint32(p + 4);
        let cumulative = lost & 0xffffff;
        if (cumulative & 0x800000) cumulative -= 0x1000000;
        out.reports.push({
          ssrc: view.getUint32(p),
          fractionLost: (lost >>> 24) / 256,
          cumulativeLost: cumulative,
          highestSeq: view.getUint32(p + 8),
          jitter: view.getUint32(p + 12),
          lastSr: view.getUint32(p + 16),
          delaySinceLastSr: view.getUint32(p + 20),
        });
      }
    } else if (pt === 205 && count === 1) {
      out.nacks += 1;
      for (let p = off + 12; p + 4 <= end; p += 4) {
        const pid = view.getUint16(p);
        const blp = view.getUint16(p + 2);
        out.nackedSeqs.push(pid);
        for (let bit = 0; bit < 16; bit += 1) {
          if (blp & (1 << bit)) out.nackedSeqs.push((pid + bit + 1) & 0xffff);
        }
      }
    } else if (pt === 206 && count === 1) {
      out.plis += 1;
    } else if (pt === 206 && count === 4) {
      out.firs += 1;
    } else if (pt === 206 && count === 15 && len >= 24) {
      const p = off + 12;
      if (
        view.getUint8(p) === 0x52 && // 'R'
        view.getUint8(p + 1) === 0x45 && // 'E'
        view.getUint8(p + 2) === 0x4d && // 'M'
        view.getUint8(p + 3) === 0x42 // 'B'
      ) {
        const exp = view.getUint8(p + 5) >> 2;
        const mantissa =
          ((view.getUint8(p + 5) & 0x03) << 16) |
          (view.getUint8(p + 6) << 8) |
          view.getUint8(p + 7);
        out.rembBps = mantissa * 2 ** exp;
      }
    }
    off = end;
  }
  return out;
}

/** Middle 32 bits of the current NTP timestamp (RFC 3550 section 4), as used in LSR/DLSR. */
export function compactNtpNow(nowMs: number = Date.now()): number {
  const seconds = nowMs / 1000 + 2_208_988_800;
  return Math.floor(seconds * 65536) >>> 0;
}

/**
 * Round-trip time from a report block (RFC 3550 section 6.4.1: A - LSR - DLSR), in ms.
 * @returns undefined when the block carries no SR reference yet or the result is implausible.
 */
export function rttFromReport(block: ReportBlock, nowMs: number = Date.now()): number | undefined {
  if (block.lastSr === 0) return undefined;
  const a = compactNtpNow(nowMs);
  const rtt = (a - block.lastSr - block.delaySinceLastSr) >>> 0;
  const ms = (rtt / 65536) * 1000;
  return ms < 60_000 ? ms : undefined;
}

/** Builds a generic NACK packet (RFC 4585 section 6.2.1) for tests and tools. */
export function buildNack(senderSsrc: number, mediaSsrc: number, seqs: readonly number[]): Buffer {
  const fci: [number, number][] = [];
  for (const s of [...seqs].sort((a, b) => a - b)) {
    const last = fci[fci.length - 1];
    const d = last ? (s - last[0]) & 0xffff : 0;
    if (last && d >= 1 && d <= 16) last[1] |= 1 << (d - 1);
    else fci.push([s & 0xffff, 0]);
  }
  const buf = Buffer.alloc(12 + fci.length * 4);
  buf.writeUInt8(0x80 | 1, 0);
  buf.writeUInt8(205, 1);
  buf.writeUInt16BE(buf.length / 4 - 1, 2);
  buf.writeUInt32BE(senderSsrc >>> 0, 4);
  buf.writeUInt32BE(mediaSsrc >>> 0, 8);
  fci.forEach(([pid, blp], i) => {
    buf.writeUInt16BE(pid, 12 + i * 4);
    buf.writeUInt16BE(blp, 14 + i * 4);
  });
  return buf;
}

/** Builds a picture loss indication (RFC 4585 section 6.3.1) for tests and tools. */
export function buildPli(senderSsrc: number, mediaSsrc: number): Buffer {
  const buf = Buffer.alloc(12);
  buf.writeUInt8(0x80 | 1, 0);
  buf.writeUInt8(206, 1);
  buf.writeUInt16BE(2, 2);
  buf.writeUInt32BE(senderSsrc >>> 0, 4);
  buf.writeUInt32BE(mediaSsrc >>> 0, 8);
  return buf;
}
