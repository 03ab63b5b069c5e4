/**
 * Minimal H.264 Annex B helpers for the WHEP output and its test sources: split a byte stream into
 * NAL units, read NAL unit types, group NAL units into access units.
 *
 * Source: ITU-T H.264 (08/2021) Annex B (byte stream format) and section 7.4.1.2.3 (order of NAL
 * units and detection of the first VCL NAL unit of a primary coded picture).
 */

/** NAL unit types used here (ITU-T H.264 Table 7-1). */
export const NalType = {
  /** Coded slice of a non-IDR picture. */
  Slice: 1,
  /** Coded slice of an IDR picture. */
  Idr: 5,
  /** Supplemental enhancement information. */
  Sei: 6,
  /** Sequence parameter set. */
  Sps: 7,
  /** Picture parameter set. */
  Pps: 8,
  /** Access unit delimiter. */
  Aud: 9,
} as const;

/** One NAL unit located inside an Annex B buffer. */
export interface NalUnit {
  /** `nal_unit_type` (5 bits). */
  readonly type: number;
  /** Byte offset of the start code (00 00 01 or 00 00 00 01) in the source buffer. */
  readonly start: number;
  /** The NAL unit without its start code (a view into the source buffer, not a copy). */
  readonly payload: Uint8Array;
}

/**
 * Splits an Annex B byte stream into NAL units (start codes of 3 or 4 bytes).
 * Bytes before the first start code are ignored; trailing zero bytes of a NAL unit
 * (`trailing_zero_8bits`) are dropped.
 */
export function splitNalUnits(data: Uint8Array): NalUnit[] {
  const units: NalUnit[] = [];
  const n = data.length;
  let i = 0;
  let nalStart = -1;
  let codeStart = -1;
  while (i + 2 < n) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      const thisCodeStart = i > 0 && data[i - 1] === 0 ? i - 1 : i;
      if (nalStart >= 0) pushUnit(units, data, codeStart, nalStart, thisCodeStart);
      codeStart = thisCodeStart;
      nalStart = i + 3;
      i += 3;
    } else {
      i += 1;
    }
  }
  if (nalStart >= 0) pushUnit(units, data, codeStart, nalStart, n);
  return units;
}

function pushUnit(
  units: NalUnit[],
  data: Uint8Array,
  codeStart: number,
  from: number,
  to: number,
): void {
  let end = to;
  while (end > from && data[end - 1] === 0) end -= 1;
  if (end <= from) return;
  const payload = data.subarray(from, end);
  units.push({ type: (payload[0] ?? 0) & 0x1f, start: codeStart, payload });
}

/** `nal_unit_type` of a NAL unit payload (first byte after the start code). */
export function nalType(payload: Uint8Array): number {
  return (payload[0] ?? 0) & 0x1f;
}

/** True when an Annex B access unit contains a coded slice of an IDR picture. */
export function containsIdr(accessUnit: Uint8Array): boolean {
  return splitNalUnits(accessUnit).some((u) => u.type === NalType.Idr);
}

/** True for coded-slice NAL unit types (1..5). */
function isVcl(type: number): boolean {
  return type >= 1 && type <= 5;
}

/**
 * Whether a VCL NAL unit starts a new primary coded picture. Only `first_mb_in_slice == 0` is
 * checked (the first bit of the slice header's ue(v) is 1 exactly when the value is 0), which is
 * enough for streams without arbitrary slice order (every baseline encoder we use).
 */
function firstSliceOfPicture(payload: Uint8Array): boolean {
  return ((payload[1] ?? 0) & 0x80) !== 0;
}

/** One access unit found by {@link splitAccessUnits}. */
export interface AnnexBAccessUnit {
  /** Annex B bytes of the access unit, each NAL unit with a 4-byte start code (a copy). */
  readonly data: Uint8Array;
  /** True when the access unit holds an IDR slice. */
  readonly keyframe: boolean;
  /** The NAL unit types, in order. */
  readonly nalTypes: readonly number[];
}

/**
 * Groups an Annex B elementary stream into access units (H.264 section 7.4.1.2.3): a new access
 * unit begins at an access unit delimiter, SPS, PPS or SEI that follows a VCL NAL unit, or at a
 * VCL NAL unit with `first_mb_in_slice == 0` after a VCL NAL unit. Access unit delimiters are
 * dropped from the output.
 */
export function splitAccessUnits(stream: Uint8Array): AnnexBAccessUnit[] {
  const out: AnnexBAccessUnit[] = [];
  let current: Uint8Array[] = [];
  let sawVcl = false;
  const flush = (): void => {
    if (current.length === 0) return;
    const types = current.map(nalType);
    if (types.some(isVcl)) {
      out.push({
        data: joinWithStartCodes(current),
        keyframe: types.includes(NalType.Idr),
        nalTypes: types,
      });
    }
    current = [];
    sawVcl = false;
  };
  for (const unit of splitNalUnits(stream)) {
    const t = unit.type;
    const startsNew =
      sawVcl &&
      (t === NalType.Aud ||
        t === NalType.Sps ||
        t === NalType.Pps ||
        t === NalType.Sei ||
        (t >= 14 && t <= 18) ||
        (isVcl(t) && firstSliceOfPicture(unit.payload)));
    if (startsNew || t === NalType.Aud) flush();
    if (t === NalType.Aud) continue;
    current.push(unit.payload);
    if (isVcl(t)) sawVcl = true;
  }
  flush();
  return out;
}

/** Concatenates NAL unit payloads, each preceded by a 4-byte start code (00 00 00 01). */
export function joinWithStartCodes(units: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const u of units) size += 4 + u.length;
  const out = new Uint8Array(size);
  let o = 0;
  for (const u of units) {
    out[o + 3] = 1;
    out.set(u, o + 4);
    o += 4 + u.length;
  }
  return out;
}
