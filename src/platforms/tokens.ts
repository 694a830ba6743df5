/** Tokens as the server keeps them (in the vault), whatever the platform's own shapes. */
export interface TokenSet {
  accessToken: string;
  /** The refresh token (rotating or stable, per platform); null where the access token refreshes itself. */
  refreshToken: string | null;
  accessTokenExpiresAt: string;
  /** When the credential can no longer be refreshed, when the platform says (the refresh token's expiry, or the self-refreshing access token's). */
  refreshTokenExpiresAt: string | null;
  /** When the access token was issued (some platforms refresh only tokens of a minimum age). */
  issuedAt: string;
  grantedScopes: string[];
}

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

export function secondsAfter(start: Date, seconds: number): string {
  return new Date(start.getTime() + seconds * 1000).toISOString();
}

/** Granted scopes as the platforms send them: one string joined by the platform's separator, or a list. */
export function parseScopeList(scopes: string | readonly string[], separator: string): string[] {
  const parts = typeof scopes === 'string' ? scopes.split(separator) : scopes.flatMap((scope) => scope.split(separator));
  return [...new Set(parts.map((scope) => scope.trim()).filter((scope) => scope.length > 0))];
}
