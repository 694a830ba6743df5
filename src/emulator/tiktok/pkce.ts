import { createHash } from 'node:crypto';

/**
 * `web`: PKCE optional; a verifier is only checked when both a challenge and a verifier were sent,
 * and either encoding of the challenge is accepted. `desktop`: PKCE required and the challenge must
 * be TikTok's hex(sha256(verifier)), so the usual RFC 7636 base64url challenge fails (docs/platforms/tiktok.md, "PKCE").
 */
export type PkceMode = 'web' | 'desktop';

export type PkceCheck = 'ok' | 'missing_verifier' | 'mismatch';

export function verifyPkce(mode: PkceMode, challenge: string | undefined, verifier: string | undefined): PkceCheck {
  if (mode === 'desktop' && verifier === undefined) return 'missing_verifier';
  if (challenge === undefined || verifier === undefined) return mode === 'desktop' ? 'mismatch' : 'ok';
  const digest = createHash('sha256').update(verifier, 'ascii').digest();
  const accepted = mode === 'desktop' ? [digest.toString('hex')] : [digest.toString('hex'), digest.toString('base64url')];
  return accepted.includes(challenge) ? 'ok' : 'mismatch';
}
