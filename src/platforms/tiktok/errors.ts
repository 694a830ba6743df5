import { nonEmptyString, type FailureClassification } from '../errors.ts';
import type { PlatformRequest } from '../http-client.ts';

/** Which TikTok call failed: `invalid_grant` means different things on different grants. */
export type TikTokCall =
  | { endpoint: 'code_exchange' }
  | { endpoint: 'refresh'; refreshTokenExpired: boolean }
  | { endpoint: 'user_info' }
  | { endpoint: 'revoke' };

/** The TikTok call a platform request is: the OAuth core names its calls by operation. */
export function tiktokCallOf(request: Pick<PlatformRequest, 'operation' | 'refreshTokenExpired'>): TikTokCall {
  switch (request.operation) {
    case 'code exchange':
      return { endpoint: 'code_exchange' };
    case 'token refresh':
      return { endpoint: 'refresh', refreshTokenExpired: request.refreshTokenExpired ?? false };
    case 'revoke':
      return { endpoint: 'revoke' };
    default:
      return { endpoint: 'user_info' };
  }
}

/** OAuth `error` values and v2 API `error.code` values that only say "not now" (docs/platforms/tiktok.md). */
const TRANSIENT_CODES = new Set(['server_error', 'temporarily_unavailable', 'rate_limit_exceeded', 'internal_error']);

/**
 * Content Posting API refusals (init errors and status `fail_reason`s) that are about the post, not
 * the credential (docs/platforms/tiktok.md, "Publishing"): a posting cap, or content TikTok will not
 * take as it is. `auth_removed` is the person revoking the app mid-way, a credential rejection.
 */
const POSTING_LIMIT_CODES = new Set(['spam_risk_too_many_posts', 'spam_risk_too_many_pending_share', 'reached_active_user_cap']);
const REJECTED_CODES = new Set([
  'privacy_level_option_mismatch',
  // An unaudited app may only post SELF_ONLY: the post's privacy is what the partner can change.
  'unaudited_client_can_only_post_to_private_accounts',
  'file_format_check_failed',
  'duration_check_failed',
  'frame_rate_check_failed',
  'picture_size_check_failed',
  'spam_risk_text',
  'spam_risk',
]);
/** `fail_reason`s after which the same post may succeed if made again. */
const RETRYABLE_FAIL_REASONS = new Set(['internal', 'video_pull_failed', 'photo_pull_failed']);

/** OAuth endpoints: top-level `error`; v2 APIs: `error.code` (`"ok"` on success). Their text is never kept. */
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

function reauth(code: string, reason: FailureClassification['reauthReason'], detail: string | null = null): FailureClassification {
  return { kind: 'needs_reauth', platformCode: code, reauthReason: reason, detail };
}

/** Classifies a failed TikTok call (docs/behaviour.md, "Platform failures"): only a definite rejection of the credential means reauth. */
export function classifyTikTokFailure(status: number, body: unknown, call: TikTokCall): FailureClassification {
  const code = errorCode(body) ?? `http_${status}`;
  if (status >= 500 || status === 429 || TRANSIENT_CODES.has(code)) return { kind: 'transient', platformCode: code, reauthReason: null };
  if (code === 'invalid_grant' && call.endpoint === 'refresh') {
    return reauth(code, call.refreshTokenExpired ? 'refresh_expired' : 'token_revoked');
  }
  // The caller tries one refresh before acting on this; classifying is all that happens here.
  if (code === 'access_token_invalid') return reauth(code, 'credential_invalid');
  if (code === 'scope_not_authorized') return reauth(code, 'scopes_missing');
  if (POSTING_LIMIT_CODES.has(code)) return { kind: 'posting_limit', platformCode: code, reauthReason: null };
  if (REJECTED_CODES.has(code)) return { kind: 'rejected', platformCode: code, reauthReason: null };
  // Includes `invalid_grant` on a code exchange: a bad or reused code, not a dead account.
  return { kind: 'other', platformCode: code, reauthReason: null };
}

/**
 * What a `FAILED` post status means (its `fail_reason`). TikTok made nothing of that attempt, so a
 * transient reason is worth a new attempt from the start; the other verdicts end the post.
 */
export function classifyTikTokFailReason(reason: string): FailureClassification {
  const detail = `the post status is FAILED (${reason})`;
  if (RETRYABLE_FAIL_REASONS.has(reason)) return { kind: 'transient', platformCode: reason, reauthReason: null, detail };
  if (reason === 'auth_removed') return reauth(reason, 'token_revoked', detail);
  if (POSTING_LIMIT_CODES.has(reason)) return { kind: 'posting_limit', platformCode: reason, reauthReason: null, detail };
  if (REJECTED_CODES.has(reason)) return { kind: 'rejected', platformCode: reason, reauthReason: null, detail };
  // `publish_cancelled`, `spam_risk_user_banned_from_posting`, and reasons TikTok adds later.
  return { kind: 'other', platformCode: reason, reauthReason: null, detail };
}
