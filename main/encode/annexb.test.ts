import { describe, expect, it } from 'vitest';
import { isIdr, NalType, nalTypes, readSpsProfile, splitAnnexB } from './annexb.ts';

const bytes = (...v: number[]): Uint8Array => Uint8Array.from(v);

describe('Annex B helpers', () => {
  it('splits at 3- and 4-byte start codes and drops trailing zeros', () => {
    const buf = bytes(
      0,
      0,
      0,
      1,
      0x67,
      0x42,
      0xc0,
      0x1f,
      0xaa, // SPS
      0,
      0,
      1,
      0x68,
      0xce,
      0x3c,
      0x80,
      0,
      0, // PPS + trailing zeros
      0,
      0,
      0,
      1,
      0x65,
      0x88,
      0x84, // IDR slice
    );
    const units = splitAnnexB(buf);
    expect(units.map((u) => u.type)).toEqual([7, 8, 5]);
    expect(Array.from(units[0]!.data)).toEqual([0x67, 0x42, 0xc0, 0x1f, 0xaa]);
    expect(Array.from(units[1]!.data)).toEqual([0x68, 0xce, 0x3c, 0x80]);
    expect(Array.from(units[2]!.data)).toEqual([0x65, 0x88, 0x84]);
    expect(units[0]!.offset).toBe(4);
    expect(units[2]!.refIdc).toBe(3);
    expect(isIdr(buf)).toBe(true);
  });

  it('keeps emulation-prevented payload bytes (00 00 03) inside a NAL', () => {
    const buf = bytes(0, 0, 1, 0x41, 0, 0, 3, 1, 0x9a);
    expect(nalTypes(buf)).toEqual([NalType.Slice]);
    expect(splitAnnexB(buf)[0]!.data.length).toBe(6);
    expect(isIdr(buf)).toBe(false);
  });

  it('returns nothing for a buffer without start codes', () => {
    expect(splitAnnexB(bytes(1, 2, 3, 4, 5))).toEqual([]);
    expect(splitAnnexB(new Uint8Array(0))).toEqual([]);
  });

  it('reads profile-level-id from an SPS and refuses other NAL units', () => {
    const p = readSpsProfile(bytes(0x67, 0x42, 0xe0, 0x1f, 0x00));
    expect(p).toEqual({
      profileIdc: 66,
      constraintFlags: 0xe0,
      levelIdc: 31,
      profileLevelId: '42e01f',
      constrainedBaseline: true,
    });
    expect(readSpsProfile(bytes(0x67, 0x42, 0x00, 0x1e)).constrainedBaseline).toBe(false);
    expect(() => readSpsProfile(bytes(0x68, 0x42, 0xe0, 0x1f))).toThrow(/not an SPS/);
  });
});
