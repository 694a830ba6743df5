import type { Platform, ReauthReason } from '../db/schema.ts';

/** Tokens as the server keeps them (in the vault), whatever the platform's own shapes. */
export interface TokenSet {
  accessToken: string;
  /** TikTok's rotating refresh token; null for Instagram, whose long-lived token refreshes itself. */
  refreshToken: string | null;
  accessTokenExpiresAt: string;
  /** When the credential can no longer be refreshed (TikTok refresh token; Instagram = access token expiry). */
  refreshTokenExpiresAt: string | null;
  /** When the access token was issued (Instagram may refresh only tokens at least 24 h old). */
  issuedAt: string;
  grantedScopes: string[];
}

export interface PlatformProfile {
  platformUserId: string;
  handle: string;
  displayName: string | null;
  /** The platform's (expiring) CDN URL; the server copies the image at connect and reauth. */
  avatarUrl: string | null;
  /** False when the account type cannot publish through this API (an Instagram personal account). */
  eligible: boolean;
}

/**
 * Every platform failure is classified before anything touches an account's status (LESSONS.md 2):
 * - `transient`: 5xx, 429, timeouts, network errors: retry later, status unchanged;
 * - `needs_reauth`: a definite rejection of the credential (revoked grant, expired refresh
 *   token, TikTok `access_token_invalid` that a refresh cannot mend, Instagram code 190);
 * - `other`: anything else (a bad request, a bug): reported, not retried, status unchanged.
 */
export type PlatformErrorKind = 'transient' | 'needs_reauth' | 'other';

export class PlatformError extends Error {
  readonly platform: Platform;
  readonly kind: PlatformErrorKind;
  /** The platform's own error code (TikTok `error` / `error.code`, Instagram `code/subcode`). */
  readonly platformCode: string;
  readonly reauthReason: ReauthReason | null;
  readonly httpStatus: number | null;

  constructor(init: {
    platform: Platform;
    kind: PlatformErrorKind;
    platformCode: string;
    message: string;
    reauthReason?: ReauthReason | null;
    httpStatus?: number | null;
  }) {
    super(init.message);
    this.name = 'PlatformError';
    this.platform = init.platform;
    this.kind = init.kind;
    this.platformCode = init.platformCode;
    this.reauthReason = init.reauthReason ?? null;
    this.httpStatus = init.httpStatus ?? null;
  }
}

export interface AuthorizeRequest {
  state: string;
  redirectUri: string;
  scopes: string[];
  /** PKCE verifier the server keeps in its vault; the adapter derives the S256 challenge the platform expects. */
  codeVerifier: string;
}

export interface CodeExchange {
  /** The code exactly as the callback received it (Instagram's may carry the `#_` suffix). */
  code: string;
  redirectUri: string;
  codeVerifier: string;
  /** Scopes the callback says were granted (TikTok's `scopes` parameter), when it says. */
  callbackScopes: string[] | null;
}

/** One platform, as the rest of the server sees it. Implementations: tiktok.ts, instagram.ts. */
export interface PlatformAdapter {
  readonly platform: Platform;
  /** Scopes requested when the partner does not name any. */
  readonly defaultScopes: readonly string[];
  /** Scopes publishing needs; a grant without one of them fails with SCOPES_NOT_GRANTED. */
  readonly requiredScopes: readonly string[];
  authorizeUrl(request: AuthorizeRequest): string;
  /** Code → tokens (for Instagram: short-lived, then exchanged for the long-lived token). */
  exchangeCode(exchange: CodeExchange): Promise<TokenSet>;
  fetchProfile(tokens: TokenSet): Promise<PlatformProfile>;
  /** A refreshed token set; throws PlatformError. Never returns a set without a usable access token. */
  refresh(tokens: TokenSet): Promise<TokenSet>;
  /** When a refresh should happen (before expiry; Instagram: not before the token is 24 h old). */
  nextRefreshAt(tokens: TokenSet): string | null;
  /** Revokes the grant upstream (best effort: callers ignore failures). */
  revoke(tokens: TokenSet): Promise<void>;
}

/** Where an adapter sends its requests and with which app credentials. */
export interface PlatformEndpoints {
  clientId: string;
  clientSecret: string;
  /** Browser-facing authorize host, e.g. https://www.tiktok.com or https://www.instagram.com */
  authBaseUrl: string;
  /** API hosts: TikTok open.tiktokapis.com; Instagram api.instagram.com (code exchange) */
  apiBaseUrl: string;
  /** Instagram only: graph.instagram.com */
  graphBaseUrl?: string;
}
