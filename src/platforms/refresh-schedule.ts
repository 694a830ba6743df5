/** Refresh at this share of a token's lifetime… */
const LIFETIME_SHARE = 0.75;
/** …or this long before it expires, whichever comes first, so a failed attempt has time to be retried. */
const MARGIN_BEFORE_EXPIRY_MS = 10 * 60 * 1000;

/** When to refresh a token valid from `issuedAt` until `expiresAt`; never before it was issued. */
export function refreshPointBefore(issuedAt: Date, expiresAt: Date): Date {
  const issued = issuedAt.getTime();
  const expires = expiresAt.getTime();
  const atShare = issued + (expires - issued) * LIFETIME_SHARE;
  return new Date(Math.max(issued, Math.min(atShare, expires - MARGIN_BEFORE_EXPIRY_MS)));
}
