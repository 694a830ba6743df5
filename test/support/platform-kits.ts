import type { PlatformId } from '../../src/platforms/registry.ts';
import type { TokenSet } from '../../src/platforms/tokens.ts';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

/**
 * What the tests that run on every registered platform need to know about one of them, beyond
 * what its module declares. Keyed by PlatformId: a platform added to the registry without its kit
 * does not compile.
 */
export interface PlatformTestKit {
  /** A scope publishing needs that the person can untick on the consent page. */
  publishScope: string;
  /** The emulator's fault endpoint (`POST /_control/faults`) of the profile call. */
  profileEndpoint: string;
  /** The `grant_type` the emulator logs for a token refresh. */
  refreshGrant: string;
  /** How long after a connect its token can first be refreshed (0 where at once). */
  refreshableAfterMs: number;
  /** How far after a connect the scheduled refresh is due. */
  refreshDueAfterMs: number;
  /** The platform's code the account records for an injected 500 / 429 on the refresh endpoint. */
  transientRefreshCodes: Readonly<Record<500 | 429, string>>;
  /**
   * The token that keeps the account alive: how the emulator lists its kind (`/_control/tokens`)
   * and where the vault keeps it. A refresh token is the only live one of its grant.
   */
  lastingToken: { kind: 'refresh'; field: 'refreshToken' } | { kind: 'long_lived'; field: 'accessToken' };
  /** An error answer of the refresh endpoint whose message echoes `token` (the lasting token). */
  echoingRefreshFault(token: string): object;
  /** An error answer of the code exchange whose message echoes the code. */
  echoingExchangeFault(code: string): object;
  /** The revoke endpoint (the path the emulator logs) and an error answer echoing a token; null where the platform has none. */
  upstreamRevoke: { pathSuffix: string; echoingFault(token: string): object } | null;
  /** What the browser's address bar keeps after the redirect back to returnUrl (a fragment the platform added). */
  landingSuffix: string;
}

export const PLATFORM_KITS: Record<PlatformId, PlatformTestKit> = {
  tiktok: {
    publishScope: 'video.publish',
    profileEndpoint: 'userinfo',
    refreshGrant: 'refresh_token',
    refreshableAfterMs: 0,
    // 75 % of the 2-hour access token has passed.
    refreshDueAfterMs: 2 * HOUR - 5 * 60_000,
    transientRefreshCodes: { 500: 'server_error', 429: 'rate_limit_exceeded' },
    lastingToken: { kind: 'refresh', field: 'refreshToken' },
    echoingRefreshFault: (token) => ({ error: 'invalid_request', error_description: `refresh_token ${token} is malformed`, log_id: 'x' }),
    echoingExchangeFault: (code) => ({ error: 'invalid_grant', error_description: `code ${code} is unknown`, log_id: 'x' }),
    upstreamRevoke: {
      pathSuffix: '/v2/oauth/revoke/',
      echoingFault: (token) => ({ error: 'invalid_request', error_description: `token ${token} rejected`, log_id: 'x' }),
    },
    landingSuffix: '',
  },
  instagram: {
    publishScope: 'instagram_business_content_publish',
    profileEndpoint: 'me',
    refreshGrant: 'ig_refresh_token',
    // Instagram refreshes only tokens at least a day old.
    refreshableAfterMs: 25 * HOUR,
    // Weeks into the 60-day long-lived token.
    refreshDueAfterMs: 50 * DAY,
    transientRefreshCodes: { 500: '1', 429: '4' },
    lastingToken: { kind: 'long_lived', field: 'accessToken' },
    echoingRefreshFault: (token) => ({ error: { message: `token ${token} is malformed`, type: 'OAuthException', code: 100 } }),
    echoingExchangeFault: (code) => ({ error_type: 'OAuthException', code: 400, error_message: `code ${code} is unknown` }),
    // Instagram Login has no revoke endpoint: forgetting the token is all that can be done.
    upstreamRevoke: null,
    // Instagram appends `#_` to its redirect, and browsers carry a fragment across a redirect whose Location has none.
    landingSuffix: '#_',
  },
  youtube: {
    publishScope: 'https://www.googleapis.com/auth/youtube.upload',
    profileEndpoint: 'channels',
    refreshGrant: 'refresh_token',
    refreshableAfterMs: 0,
    // Only the keep-alive refresh is scheduled, a month after the last one.
    refreshDueAfterMs: 30 * DAY,
    transientRefreshCodes: { 500: 'server_error', 429: 'rate_limit_exceeded' },
    lastingToken: { kind: 'refresh', field: 'refreshToken' },
    echoingRefreshFault: (token) => ({ error: 'invalid_request', error_description: `refresh_token ${token} is malformed` }),
    echoingExchangeFault: (code) => ({ error: 'invalid_grant', error_description: `code ${code} is unknown` }),
    upstreamRevoke: {
      pathSuffix: '/oauth2/revoke',
      echoingFault: (token) => ({ error: 'invalid_request', error_description: `token ${token} rejected` }),
    },
    landingSuffix: '',
  },
};

/** The lasting token of a stored token set (see PlatformTestKit.lastingToken). */
export function lastingTokenOf(kit: PlatformTestKit, tokens: TokenSet): string | null {
  return tokens[kit.lastingToken.field];
}
