import { describe, expect, it } from 'vitest';
import {
  desEcbEncrypt,
  vncAuthResponse,
  vncAuthVerify,
  vncChallenge,
  vncKey,
  vncPasswdFile,
} from './vnc-auth.ts';

describe('VNC authentication (RFC 6143 §7.2.2)', () => {
  it('single DES through des-ede3-ecb matches the FIPS 81 example', () => {
    // FIPS 81 / classic DES example: key 0123456789ABCDEF, "Now is t" → 3FA40E8A984D4815.
    const out = desEcbEncrypt(Buffer.from('0123456789abcdef', 'hex'), Buffer.from('Now is t'));
    expect(out.toString('hex')).toBe('3fa40e8a984d4815');
  });

  it('reverses the bits of every key byte and zero-pads to 8 bytes', () => {
    expect(vncKey('secret12').toString('hex')).toBe('cea6c64ea62e8c4c');
    expect(vncKey('ab').toString('hex')).toBe('8646000000000000');
    // Only the first 8 bytes count.
    expect(vncKey('secret12-and-more')).toEqual(vncKey('secret12'));
  });

  it('computes the response vector made independently with `openssl enc -des-ecb -provider legacy`', () => {
    const challenge = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
    expect(vncAuthResponse('secret12', challenge).toString('hex')).toBe(
      'adcd997f8e16fee575e973f93c2b62b4',
    );
  });

  it('verifies the right response and rejects others', () => {
    const c = vncChallenge();
    expect(c.length).toBe(16);
    expect(vncAuthVerify('pw', c, vncAuthResponse('pw', c))).toBe(true);
    expect(vncAuthVerify('pw', c, vncAuthResponse('pW', c))).toBe(false);
    expect(vncAuthVerify('pw', c, Buffer.alloc(15))).toBe(false);
  });

  it('writes the 8-byte vncpasswd file format (checked against vncsnapshot in e2e)', () => {
    expect(vncPasswdFile('snapshot').length).toBe(8);
    expect(vncPasswdFile('a')).not.toEqual(vncPasswdFile('b'));
  });
});
