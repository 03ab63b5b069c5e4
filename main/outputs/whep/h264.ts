/**
 * Access-unit helpers for the WHEP output and its test sources: group the NAL units of an Annex B
 * elementary stream into access units and join NAL units back into Annex B. Splitting into NAL
 * units and reading their types is the codec-level {@link splitAnnexB} (main/encode/annexb.ts).
 *
 * Source: ITU-T H.264 (08/2021) section 7.4.1.2.3 (order of NAL units and detection of the first
 * VCL NAL unit of a primary coded picture).
 */
import { NalType, splitAnnexB, type NalUnit } from '../../encode/annexb.ts';

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
  let current: NalUnit[] = [];
  let sawVcl = false;
  const flush = (): void => {
    if (current.length === 0) return;
    const types = current.map((u) => u.type);
    if (types.some(isVcl)) {
      out.push({
        data: joinWithStartCodes(current.map((u) => u.data)),
        keyframe: types.includes(NalType.IdrSlice),
        nalTypes: types,
      });
    }
    current = [];
    sawVcl = false;
  };
  for (const unit of splitAnnexB(stream)) {
    const t = unit.type;
    const startsNew =
      sawVcl &&
      (t === NalType.Aud ||
        t === NalType.Sps ||
        t === NalType.Pps ||
        t === NalType.Sei ||
        (t >= 14 && t <= 18) ||
        (isVcl(t) && firstSliceOfPicture(unit.data)));
    if (startsNew || t === NalType.Aud) flush();
    if (t === NalType.Aud) continue;
    current.push(unit);
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
