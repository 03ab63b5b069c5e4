import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { chooseH264, parseWhepOffer, SdpError } from './sdp.ts';

const chromium = readFileSync(new URL('./fixtures/chromium-offer.sdp', import.meta.url), 'utf8');

describe('WHEP offer validation', () => {
  it("accepts Chromium's recvonly offer and picks its 42e01f packetization-mode=1 type", () => {
    const offer = parseWhepOffer(chromium);
    expect(offer.video.mid).toBe('0');
    expect(offer.video.direction).toBe('recvonly');
    expect(offer.h264.packetizationMode).toBe(1);
    expect(offer.h264.profileLevelId).toBe('42e01f');
    expect(chromium).toContain(`a=fmtp:${offer.h264.payloadType} `);
    expect(offer.sdp.endsWith('\r\n')).toBe(true);
  });

  it.each([
    ['', /empty/],
    ['hello world', /v=0/],
    ['v=0\r\nthis is not sdp\r\n', /malformed SDP line 2/],
    ['v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n', /no media section/],
  ])('rejects %j', (text, message) => {
    expect(() => parseWhepOffer(text)).toThrow(SdpError);
    expect(() => parseWhepOffer(text)).toThrow(message);
  });

  it('rejects an offer whose video cannot receive', () => {
    expect(() => parseWhepOffer(chromium.replace('a=recvonly', 'a=sendonly'))).toThrow(
      /can receive/,
    );
  });

  it('rejects an offer without H.264 packetization-mode=1', () => {
    const noH264 = chromium
      .split('\r\n')
      .filter((l) => !/packetization-mode=1/.test(l))
      .join('\r\n');
    expect(() => parseWhepOffer(noH264)).toThrow(/packetization-mode=1/);
  });

  it('rejects an offer without ICE credentials or fingerprint', () => {
    const noIce = chromium.replace(/a=ice-pwd:.*\r\n/, '');
    expect(() => parseWhepOffer(noIce)).toThrow(/ICE credentials/);
    const noFp = chromium.replace(/a=fingerprint:.*\r\n/, '');
    expect(() => parseWhepOffer(noFp)).toThrow(/fingerprint/);
  });

  it('prefers constrained baseline, then baseline, then main', () => {
    const f = (pt: number, pm: number, pl: string) => ({
      payloadType: pt,
      packetizationMode: pm,
      profileLevelId: pl,
    });
    expect(chooseH264([f(1, 1, '640032'), f(2, 1, '42001f'), f(3, 1, '42e01f')])?.payloadType).toBe(
      3,
    );
    expect(chooseH264([f(1, 1, '4d001f'), f(2, 1, '42001f')])?.payloadType).toBe(2);
    expect(chooseH264([f(1, 0, '42e01f'), f(2, 1, '4d001f')])?.payloadType).toBe(2);
    expect(chooseH264([f(1, 0, '42e01f'), f(2, 1, 'f4001f')])).toBeUndefined();
  });
});
