import type { FailureClassification } from './platform-failure.ts';

/** Which TikTok call failed: `invalid_grant` means different things on different grants. */
export type TikTokCall =
  | { endpoint: 'code_exchange' }
  | { endpoint: 'refresh'; refreshTokenExpired: boolean }
  | { endpoint: 'user_info' }
  | { endpoint: 'revoke' };

/** OAuth `error` values and v2 API `error.code` values that only say "not now" (PLATFORMS.md 1.3, 1.4). */
const TRANSIENT_CODES = new Set(['server_error', 'temporarily_unavailable', 'rate_limit_exceeded', 'internal_error']);

function nonEmptyString(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/** OAuth endpoints: top-level `error`; v2 APIs: `error.code` (`"ok"` on success). */
function errorCode(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return null;
  const { error } = body as Record<string, unknown>;
  if (typeof error === 'object' && error !== null) return nonEmptyString((error as Record<string, unknown>)['code']);
  return nonEmptyString(error);
}

/**
 * True when a TikTok answer is a failure. TikTok sometimes answers 200 with an OAuth error body, and
 * the v2 APIs always carry `error`, with `code: "ok"` on success, so the status alone proves nothing.
 */
export function isTikTokFailure(status: number, body: unknown): boolean {
  const code = errorCode(body);
  return status < 200 || status >= 300 || (code !== null && code !== 'ok');
}

function reauth(code: string, reason: FailureClassification['reauthReason']): FailureClassification {
  return { kind: 'needs_reauth', platformCode: code, reauthReason: reason };
}

/** Classifies a failed TikTok call (LESSONS.md 2): only a definite rejection of the credential means reauth. */
export function classifyTikTokFailure(status: number, body: unknown, call: TikTokCall): FailureClassification {
  const code = errorCode(body) ?? `http_${status}`;
  if (status >= 500 || status === 429 || TRANSIENT_CODES.has(code)) {
    return { kind: 'transient', platformCode: code, reauthReason: null };
  }
  if (code === 'invalid_grant' && call.endpoint === 'refresh') {
    return reauth(code, call.refreshTokenExpired ? 'refresh_expired' : 'token_revoked');
  }
  // The caller tries one refresh before acting on this; classifying is all that happens here.
  if (code === 'access_token_invalid') return reauth(code, 'credential_invalid');
  if (code === 'scope_not_authorized') return reauth(code, 'scopes_missing');
  // Includes `invalid_grant` on a code exchange: a bad or reused code, not a dead account.
  return { kind: 'other', platformCode: code, reauthReason: null };
}
