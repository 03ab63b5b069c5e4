/**
 * Validation of a WHEP client's SDP offer (RFC 8866 syntax, RFC 8829 JSEP usage, RFC 6184 H.264
 * payload format parameters) and the choice of the H.264 payload type to answer with.
 *
 * The checks are the ones that matter for a clear 400: libdatachannel parses the offer afterwards
 * and its own errors are reported too.
 */

/** The offer was rejected; `message` says why in words a WHEP client's user can act on. */
export class SdpError extends Error {
  override readonly name = 'SdpError';
}

/** One `m=` section of an offer. */
export interface OfferMedia {
  /** `audio`, `video`, `application`, ... */
  readonly kind: string;
  /** `a=mid` value ('' when missing). */
  readonly mid: string;
  /** `sendrecv` (the default), `sendonly`, `recvonly` or `inactive`. */
  readonly direction: string;
  /** Payload types of the m-line, in preference order. */
  readonly payloadTypes: readonly number[];
}

/** An H.264 payload type the offer lists for the video section. */
export interface H264Format {
  readonly payloadType: number;
  /** RFC 6184 `packetization-mode` (0 when absent). */
  readonly packetizationMode: number;
  /** RFC 6184 `profile-level-id` in lower-case hex ('42001f' when absent, its default). */
  readonly profileLevelId: string;
}

/** What {@link parseWhepOffer} found in a valid offer. */
export interface WhepOffer {
  /** The offer text with line endings normalized to CRLF. */
  readonly sdp: string;
  readonly media: readonly OfferMedia[];
  /** The video section the stream goes out on (the first one that can receive). */
  readonly video: OfferMedia;
  /** The H.264 format chosen for the answer (see {@link chooseH264}). */
  readonly h264: H264Format;
}

/** Largest offer accepted, in bytes (browser offers are 3..8 KiB). */
export const MAX_OFFER_BYTES = 64 * 1024;

/**
 * Parses and validates a WHEP offer.
 * @param text The request body (`application/sdp`).
 * @returns The offer with the video section and H.264 format to answer.
 * @throws SdpError when the text is not an SDP offer we can answer: not `v=0` first, a line that
 *   is not `<letter>=<value>`, no `m=video` section that can receive (`recvonly`/`sendrecv`), no
 *   ICE credentials or DTLS fingerprint, or no H.264 format with packetization-mode=1 and a
 *   profile a constrained-baseline stream can be sent to.
 */
export function parseWhepOffer(text: string): WhepOffer {
  if (typeof text !== 'string' || text.trim() === '') throw new SdpError('empty SDP offer');
  if (text.length > MAX_OFFER_BYTES) throw new SdpError('SDP offer too large');
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  if (lines[0] !== 'v=0') throw new SdpError('not an SDP offer: the first line must be "v=0"');
  const media: { kind: string; mid: string; direction: string; pts: number[]; lines: string[] }[] =
    [];
  const session: string[] = [];
  for (const [i, line] of lines.entries()) {
    if (!/^[a-z]=/.test(line)) {
      throw new SdpError(`malformed SDP line ${i + 1}: expected "<type>=<value>"`);
    }
    if (line.startsWith('m=')) {
      const m = /^m=(\S+) (\d+)(?:\/\d+)? (\S+)((?: \S+)*)$/.exec(line);
      if (!m) throw new SdpError(`malformed SDP media line ${i + 1}: "${line.slice(0, 80)}"`);
      const pts = (m[4] ?? '')
        .trim()
        .split(' ')
        .filter((s) => /^\d+$/.test(s))
        .map(Number);
      media.push({ kind: m[1] ?? '', mid: '', direction: 'sendrecv', pts, lines: [] });
      continue;
    }
    const current = media[media.length - 1];
    if (current) {
      current.lines.push(line);
      if (line.startsWith('a=mid:')) current.mid = line.slice(6).trim();
      const dir = /^a=(sendrecv|sendonly|recvonly|inactive)$/.exec(line);
      if (dir) current.direction = dir[1] ?? 'sendrecv';
    } else {
      session.push(line);
    }
  }
  if (media.length === 0) throw new SdpError('SDP offer has no media section (m=)');
  const video = media.find(
    (m) => m.kind === 'video' && (m.direction === 'recvonly' || m.direction === 'sendrecv'),
  );
  if (!video) {
    throw new SdpError('SDP offer has no m=video section that can receive (recvonly or sendrecv)');
  }
  if (video.mid === '') throw new SdpError('the m=video section of the SDP offer has no a=mid');
  const has = (prefix: string): boolean =>
    session.some((l) => l.startsWith(prefix)) || video.lines.some((l) => l.startsWith(prefix));
  if (!has('a=ice-ufrag:') || !has('a=ice-pwd:')) {
    throw new SdpError('SDP offer has no ICE credentials (a=ice-ufrag / a=ice-pwd)');
  }
  if (!has('a=fingerprint:')) throw new SdpError('SDP offer has no DTLS fingerprint');
  const h264 = chooseH264(h264Formats(video.lines, video.pts));
  if (!h264) {
    throw new SdpError(
      'SDP offer has no H.264 format with packetization-mode=1 and a baseline-compatible profile ' +
        '(e.g. profile-level-id=42e01f)',
    );
  }
  return {
    sdp: lines.join('\r\n') + '\r\n',
    media: media.map((m) => ({
      kind: m.kind,
      mid: m.mid,
      direction: m.direction,
      payloadTypes: m.pts,
    })),
    video: {
      kind: video.kind,
      mid: video.mid,
      direction: video.direction,
      payloadTypes: video.pts,
    },
    h264,
  };
}

/** Lists the H.264 formats (a=rtpmap ... H264/90000 + a=fmtp) of one media section. */
export function h264Formats(mediaLines: readonly string[], order: readonly number[]): H264Format[] {
  const formats: H264Format[] = [];
  for (const line of mediaLines) {
    const m = /^a=rtpmap:(\d+) H264\/90000/i.exec(line);
    if (!m) continue;
    const pt = Number(m[1]);
    const fmtp = mediaLines.find((l) => l.startsWith(`a=fmtp:${pt} `));
    const params = new Map<string, string>();
    for (const kv of (fmtp?.slice(`a=fmtp:${pt} `.length) ?? '').split(';')) {
      const [k, v] = kv.split('=');
      if (k && v !== undefined) params.set(k.trim().toLowerCase(), v.trim());
    }
    formats.push({
      payloadType: pt,
      packetizationMode: Number(params.get('packetization-mode') ?? '0'),
      profileLevelId: (params.get('profile-level-id') ?? '42001f').toLowerCase(),
    });
  }
  formats.sort((a, b) => order.indexOf(a.payloadType) - order.indexOf(b.payloadType));
  return formats;
}

/**
 * Picks the H.264 format for a constrained-baseline stream (RFC 6184 section 8.1): it must have
 * packetization-mode=1 (we send FU-A fragments); the best is a constrained baseline profile
 * (profile_idc 0x42 with constraint_set1_flag, e.g. 42e01f), then plain baseline (42001f), then
 * main (4d, which decodes constrained baseline too). Ties keep the offer's preference order.
 * @returns The format, or undefined when none fits.
 */
export function chooseH264(formats: readonly H264Format[]): H264Format | undefined {
  const rank = (f: H264Format): number => {
    if (f.packetizationMode !== 1 || !/^[0-9a-f]{6}$/.test(f.profileLevelId)) return -1;
    const idc = parseInt(f.profileLevelId.slice(0, 2), 16);
    const iop = parseInt(f.profileLevelId.slice(2, 4), 16);
    if (idc === 0x42 && (iop & 0x40) !== 0) return 3;
    if (idc === 0x42) return 2;
    if (idc === 0x4d || idc === 0x64) return 1;
    return -1;
  };
  let best: H264Format | undefined;
  let bestRank = -1;
  for (const f of formats) {
    const r = rank(f);
    if (r > bestRank) {
      best = f;
      bestRank = r;
    }
  }
  return best;
}
