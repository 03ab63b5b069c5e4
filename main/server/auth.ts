/**
 * Bearer token checks (RFC 6750) for WHEP and the HTTP API. WHEP allows HTTP bearer tokens for
 * authentication (draft-ietf-wish-whep section 4.6, as RFC 9725 section 4.5 does for WHIP).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Result of {@link checkBearer}. */
export type AuthResult = 'ok' | 'missing' | 'invalid';

/**
 * Compares the credentials of a request with the configured token in constant time.
 * @param authorization The `Authorization` header, if any (`Bearer <token>`, scheme
 *   case-insensitive, RFC 6750 section 2.1).
 * @param token The configured token.
 * @param queryToken A token from the URL (`access_token`, RFC 6750 section 2.3), where allowed.
 */
export function checkBearer(
  authorization: string | undefined,
  token: string,
  queryToken?: string,
): AuthResult {
  let given: string | undefined;
  if (authorization !== undefined) {
    const m = /^Bearer[ ]+([^\s]+)\s*$/i.exec(authorization);
    if (!m) return 'invalid';
    given = m[1];
  } else {
    given = queryToken;
  }
  if (given === undefined || given === '') return 'missing';
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b) ? 'ok' : 'invalid';
}

/** The `WWW-Authenticate` challenge for a 401 (RFC 6750 section 3). */
export function bearerChallenge(result: AuthResult): string {
  return result === 'invalid'
    ? 'Bearer realm="zerocast", error="invalid_token"'
    : 'Bearer realm="zerocast"';
}

/** A random access token: 24 bytes, base64url (32 characters). */
export function generateToken(): string {
  return randomBytes(24).toString('base64url');
}
