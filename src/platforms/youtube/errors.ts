import type { ReauthReason } from '../../db/schema.ts';
import { jsonRecord, nonEmptyString, type FailureClassification } from '../errors.ts';
import type { PlatformRequest } from '../http-client.ts';

/** OAuth `error` values that only say "not now" (docs/platforms/youtube.md). */
const TRANSIENT_OAUTH_ERRORS = new Set(['temporarily_unavailable', 'server_error', 'internal_failure', 'rate_limit_exceeded']);
/** Data API `errors[].reason` values that are about quota or load, not the credential. */
const TRANSIENT_API_REASONS = new Set(['quotaExceeded', 'rateLimitExceeded', 'userRateLimitExceeded', 'backendError', 'internalError']);
/** The grant lacks a scope the call needs (the legacy reason and the newer one). */
const SCOPE_REASONS = new Set(['insufficientPermissions', 'ACCESS_TOKEN_SCOPE_INSUFFICIENT']);

/** Google's failures, by their code only: the text that comes with them is never kept (docs/security.md). */
type GoogleError =
  /** The OAuth endpoints: `{"error":"invalid_grant","error_description":"…"}`. */
  | { shape: 'oauth'; code: string }
  /** The Data API: `{"error":{"code":401,"message":"…","errors":[{"reason":"authError",…}],"status":"UNAUTHENTICATED"}}`. */
  | { shape: 'api'; code: string }
  | { shape: 'none'; code: string };

function googleError(status: number, body: unknown): GoogleError {
  const error = jsonRecord(body)?.['error'];
  const oauthCode = nonEmptyString(error);
  if (oauthCode !== null) return { shape: 'oauth', code: oauthCode };
  const api = jsonRecord(error);
  if (api !== null) {
    const first = Array.isArray(api['errors']) ? jsonRecord(api['errors'][0]) : null;
    const code = nonEmptyString(first?.['reason']) ?? nonEmptyString(api['status']) ?? `http_${status}`;
    return { shape: 'api', code };
  }
  return { shape: 'none', code: `http_${status}` };
}

function verdict(kind: FailureClassification['kind'], error: GoogleError, reauthReason: ReauthReason | null = null): FailureClassification {
  return { kind, platformCode: error.code, reauthReason };
}

/**
 * null when a Google answer is a success; otherwise what kind of failure it is (docs/behaviour.md,
 * "Platform failures"). Google answers failures with a non-2xx status only. Revoking a token that is
 * already dead answers 400 `invalid_token`: the grant is gone, which is what the revoke wanted.
 */
export function classifyYouTubeFailure(
  status: number,
  body: unknown,
  request: Pick<PlatformRequest, 'operation' | 'refreshTokenExpired'>,
): FailureClassification | null {
  if (status >= 200 && status < 300) return null;
  const error = googleError(status, body);
  if (request.operation === 'revoke' && status === 400 && error.code === 'invalid_token') return null;
  if (status >= 500 || status === 429) return verdict('transient', error);
  if (error.shape === 'oauth') {
    if (TRANSIENT_OAUTH_ERRORS.has(error.code)) return verdict('transient', error);
    // "Token has been expired or revoked.": revoked, unused for six months, or over Google's per-user token limit.
    if (error.code === 'invalid_grant' && request.operation === 'token refresh') {
      return verdict('needs_reauth', error, request.refreshTokenExpired ? 'refresh_expired' : 'token_revoked');
    }
    // Includes `invalid_grant` on a code exchange: a bad or reused code, not a dead account.
    return verdict('other', error);
  }
  if (TRANSIENT_API_REASONS.has(error.code)) return verdict('transient', error);
  if (SCOPE_REASONS.has(error.code)) return verdict('needs_reauth', error, 'scopes_missing');
  // An access token the API refuses (expired early, revoked): the caller tries one refresh before acting on it.
  if (status === 401) return verdict('needs_reauth', error, 'credential_invalid');
  return verdict('other', error);
}
