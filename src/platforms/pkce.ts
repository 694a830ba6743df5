import { createHash } from 'node:crypto';

/** RFC 7636 S256: base64url(sha256(ascii(verifier))). */
export function s256CodeChallenge(codeVerifier: string): string {
  return createHash('sha256').update(codeVerifier, 'ascii').digest('base64url');
}
