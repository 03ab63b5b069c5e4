/**
 * H.264 Annex B byte-stream helpers (ITU-T H.264 Annex B and 7.3.1): split an access unit into
 * NAL units, read their types, recognise IDRs and read profile/level from an SPS. Used by the
 * RTP/RFB outputs and the tests.
 */

/** nal_unit_type values (H.264 Table 7-1) that Zerocast meets. */
export const NalType = {
  /** Coded slice of a non-IDR picture. */
  Slice: 1,
  /** Coded slice of an IDR picture. */
  IdrSlice: 5,
  /** Supplemental enhancement information. */
  Sei: 6,
  /** Sequence parameter set. */
  Sps: 7,
  /** Picture parameter set. */
  Pps: 8,
  /** Access unit delimiter. */
  Aud: 9,
} as const;

/** One NAL unit found in an Annex B buffer. */
export interface NalUnit {
  /** nal_unit_type (5 bits, Table 7-1). */
  readonly type: number;
  /** nal_ref_idc (2 bits). */
  readonly refIdc: number;
  /** Byte offset of the NAL header (just after the start code) in the source buffer. */
  readonly offset: number;
  /** The NAL unit without start code or trailing zero bytes (a view, not a copy). */
  readonly data: Uint8Array;
}

/**
 * Splits an Annex B buffer at its 3- or 4-byte start codes (00 00 01 / 00 00 00 01).
 * Bytes before the first start code are ignored; trailing zero bytes of each NAL are dropped.
 * @returns the NAL units in order (views into `buf`); empty when there is no start code.
 */
export function splitAnnexB(buf: Uint8Array): NalUnit[] {
  const starts: number[] = []; // offsets of NAL headers
  for (let i = 0; i + 2 < buf.length;) {
    if (buf[i + 2]! > 1) {
      i += 3;
    } else if (buf[i] === 0 && buf[i + 1] === 0 && buf[i + 2] === 1) {
      starts.push(i + 3);
      i += 3;
    } else {
      i += 1;
    }
  }
  const units: NalUnit[] = [];
  for (let k = 0; k < starts.length; k++) {
    const begin = starts[k]!;
    let end = k + 1 < starts.length ? starts[k + 1]! - 3 : buf.length;
    while (end > begin && buf[end - 1] === 0) end--; // zero_byte / trailing_zero_8bits
    if (end <= begin) continue;
    const header = buf[begin]!;
    units.push({
      type: header & 0x1f,
      refIdc: (header >> 5) & 3,
      offset: begin,
      data: buf.subarray(begin, end),
    });
  }
  return units;
}

/** The nal_unit_type of every NAL unit in an Annex B buffer, in order. */
export function nalTypes(buf: Uint8Array): number[] {
  return splitAnnexB(buf).map((n) => n.type);
}

/** True when the access unit holds an IDR slice (NAL type 5). */
export function isIdr(buf: Uint8Array): boolean {
  return splitAnnexB(buf).some((n) => n.type === NalType.IdrSlice);
}

/** Profile and level of an SPS (H.264 7.3.2.1.1: the three bytes after the NAL header). */
export interface SpsProfile {
  /** profile_idc, e.g. 66 (Baseline). */
  profileIdc: number;
  /** constraint_set0..5 flags as the byte holds them (bit 7 = constraint_set0_flag). */
  constraintFlags: number;
  /** level_idc x10, e.g. 31 for level 3.1. */
  levelIdc: number;
  /** RFC 6184 profile-level-id: six hex digits, e.g. `42e01f`. */
  profileLevelId: string;
  /** Constrained Baseline: profile 66 with constraint_set1_flag (A.2.1.1). */
  constrainedBaseline: boolean;
}

/**
 * Reads profile_idc, the constraint flags and level_idc from an SPS NAL unit (header included).
 * @throws RangeError when `sps` is not an SPS (type 7) or is shorter than 4 bytes.
 */
export function readSpsProfile(sps: Uint8Array): SpsProfile {
  if (sps.length < 4 || (sps[0]! & 0x1f) !== NalType.Sps) {
    throw new RangeError('readSpsProfile: not an SPS NAL unit');
  }
  const profileIdc = sps[1]!;
  const constraintFlags = sps[2]!;
  const levelIdc = sps[3]!;
  const hex = (v: number): string => v.toString(16).padStart(2, '0');
  return {
    profileIdc,
    constraintFlags,
    levelIdc,
    profileLevelId: hex(profileIdc) + hex(constraintFlags) + hex(levelIdc),
    constrainedBaseline: profileIdc === 66 && (constraintFlags & 0x40) !== 0,
  };
}
