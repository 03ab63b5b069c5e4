/**
 * VNC Authentication (RFC 6143 §7.2.2): the server sends a random 16-byte challenge; the client
 * returns it DES-encrypted (ECB, two blocks) with a key made of the password's first 8 bytes
 * (zero-padded) with the bits of every byte reversed (the historical VNC quirk).
 *
 * OpenSSL 3 (Node 20) no longer offers single DES (`des-ecb`), so this uses `des-ede3-ecb` with
 * the 8-byte key repeated three times: 3DES with K1 = K2 = K3 equals single DES.
 */
import { createCipheriv, randomBytes, timingSafeEqual } from 'node:crypto';

/** Challenge and response length in bytes. */
export const VNC_CHALLENGE_LENGTH = 16;

function reverseBits(b: number): number {
  let r = 0;
  for (let i = 0; i < 8; i++) r |= ((b >> i) & 1) << (7 - i);
  return r;
}

/** The DES key VNC derives from a password: first 8 bytes (Latin-1), zero padded, bit-reversed. */
export function vncKey(password: string): Buffer {
  const key = Buffer.alloc(8);
  const raw = Buffer.from(password, 'latin1');
  for (let i = 0; i < 8; i++) key[i] = reverseBits(raw[i] ?? 0);
  return key;
}

/**
 * DES-ECB encrypts `data` (a multiple of 8 bytes) with the raw 8-byte `key` (no bit reversal).
 * @throws Error when `key` is not 8 bytes or `data` not a multiple of 8 bytes.
 */
export function desEcbEncrypt(key: Uint8Array, data: Uint8Array): Buffer {
  if (key.length !== 8) throw new Error('DES key must be 8 bytes');
  if (data.length % 8 !== 0) throw new Error('DES data must be a multiple of 8 bytes');
  const k = Buffer.concat([key, key, key]);
  const cipher = createCipheriv('des-ede3-ecb', k, null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

/** The response a client computes for `challenge` (16 bytes) with `password`. */
export function vncAuthResponse(password: string, challenge: Uint8Array): Buffer {
  return desEcbEncrypt(vncKey(password), challenge);
}

/** A fresh random 16-byte challenge. */
export function vncChallenge(): Buffer {
  return randomBytes(VNC_CHALLENGE_LENGTH);
}

/** Checks a client's 16-byte response in constant time. */
export function vncAuthVerify(
  password: string,
  challenge: Uint8Array,
  response: Uint8Array,
): boolean {
  if (response.length !== VNC_CHALLENGE_LENGTH) return false;
  return timingSafeEqual(vncAuthResponse(password, challenge), response);
}

/**
 * The obfuscated password file format of `vncpasswd` (read by vncsnapshot `-passwd`, TigerVNC):
 * the password's first 8 bytes, zero padded, DES-encrypted with the fixed VNC key
 * 23 82 107 6 35 78 88 7 (applied with the same bit-reversal convention).
 */
export function vncPasswdFile(password: string): Buffer {
  const fixed = Buffer.from([23, 82, 107, 6, 35, 78, 88, 7]).map(reverseBits);
  const plain = Buffer.alloc(8);
  Buffer.from(password, 'latin1').copy(plain, 0, 0, 8);
  return desEcbEncrypt(Buffer.from(fixed), plain);
}
