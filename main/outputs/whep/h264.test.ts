import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { generateH264 } from '../../../e2e/support/h264-test-source.ts';
import { isIdr, NalType, splitAnnexB } from '../../encode/annexb.ts';
import { joinWithStartCodes, splitAccessUnits } from './h264.ts';

describe('Annex B splitting', () => {
  it('splits 3- and 4-byte start codes and drops trailing zeros', () => {
    const data = new Uint8Array([
      0, 0, 0, 1, 0x67, 1, 2, 0, 0, 0, 1, 0x68, 3, 0, 0, 1, 0x65, 4, 5, 0,
    ]);
    const units = splitAnnexB(data);
    expect(units.map((u) => u.type)).toEqual([NalType.Sps, NalType.Pps, NalType.IdrSlice]);
    expect([...units[0]!.data]).toEqual([0x67, 1, 2]);
    expect([...units[1]!.data]).toEqual([0x68, 3]);
    expect([...units[2]!.data]).toEqual([0x65, 4, 5]);
    expect(isIdr(data)).toBe(true);
  });

  it('round-trips through joinWithStartCodes', () => {
    const units = [new Uint8Array([0x41, 0x9a, 1]), new Uint8Array([0x41, 0x9a, 2])];
    const joined = joinWithStartCodes(units);
    expect(splitAnnexB(joined).map((u) => [...u.data])).toEqual(units.map((u) => [...u]));
    expect(isIdr(joined)).toBe(false);
  });

  it('groups a real ffmpeg stream into one access unit per frame, IDRs every GOP', () => {
    const file = generateH264({ width: 320, height: 180, fps: 30, frames: 60, gop: 30 });
    const aus = splitAccessUnits(new Uint8Array(readFileSync(file)));
    expect(aus).toHaveLength(60);
    expect(aus.map((a, i) => (a.keyframe ? i : -1)).filter((i) => i >= 0)).toEqual([0, 30]);
    // IDR access units carry SPS and PPS before the IDR slice; no AUD survives.
    expect(aus[0]!.nalTypes.slice(0, 2)).toEqual([NalType.Sps, NalType.Pps]);
    expect(aus.every((a) => !a.nalTypes.includes(NalType.Aud))).toBe(true);
    // x264 -tune zerolatency writes several slices per picture: they stay in one access unit.
    expect(aus[1]!.nalTypes.every((t) => t === NalType.Slice)).toBe(true);
  });
});
