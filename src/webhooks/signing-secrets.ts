import { randomBytes } from 'node:crypto';

/** What the vault keeps per endpoint: the current secret, and the previous one while it fades out. */
export interface SigningSecrets {
  secrets: Array<{ secret: string; expiresAt: string | null }>;
}

/** After a rotation the old secret keeps signing for 24 hours (docs/reference/webhooks.md). */
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;

export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** The secrets that still sign at `now` (as stored, or as the KeyObjects made of them). */
export function activeSecrets<Secret>(secrets: ReadonlyArray<{ secret: Secret; expiresAt: string | null }>, now: Date): Secret[] {
  const at = now.toISOString();
  return secrets.filter((s) => s.expiresAt === null || s.expiresAt > at).map((s) => s.secret);
}

export function rotate(stored: SigningSecrets, fresh: string, now: Date): SigningSecrets {
  const expiresAt = new Date(now.getTime() + ROTATION_OVERLAP_MS).toISOString();
  const previous = stored.secrets.filter((s) => s.expiresAt === null).map((s) => ({ secret: s.secret, expiresAt }));
  return { secrets: [{ secret: fresh, expiresAt: null }, ...previous] };
}
