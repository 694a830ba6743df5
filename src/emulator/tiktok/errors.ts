import { randomHex } from '../random-token.ts';

/** TikTok's request id: UTC `YYYYMMDDhhmmss` followed by 20 hex digits, 34 characters in all. */
export function tiktokLogId(now: number): string {
  const timestamp = new Date(now).toISOString().replace(/\D/g, '').slice(0, 14);
  return timestamp + randomHex(20).toUpperCase();
}

/** Error body of the OAuth endpoints (token, revoke). */
export function tiktokOAuthError(error: string, description: string, now: number): object {
  return { error, error_description: description, log_id: tiktokLogId(now) };
}

/** Error envelope of the v2 APIs (user info, …). */
export function tiktokApiError(code: string, message: string, now: number): object {
  return { data: {}, error: { code, message, log_id: tiktokLogId(now) } };
}

/** What TikTok's OAuth endpoints would answer with an injected HTTP status. */
export function tiktokOAuthFaultBody(status: number, now: number): object {
  if (status === 429) return tiktokOAuthError('rate_limit_exceeded', 'Too many requests. Please retry later.', now);
  if (status === 503) return tiktokOAuthError('temporarily_unavailable', 'The server is temporarily unavailable.', now);
  if (status === 401) return tiktokOAuthError('invalid_client', 'Client key or secret is incorrect.', now);
  if (status >= 400 && status < 500) return tiktokOAuthError('invalid_request', 'The request parameters are malformed.', now);
  return tiktokOAuthError('server_error', 'The server encountered an unexpected error.', now);
}

/** What TikTok's v2 APIs would answer with an injected HTTP status. */
export function tiktokApiFaultBody(status: number, now: number): object {
  if (status === 429) return tiktokApiError('rate_limit_exceeded', 'The API rate limit was exceeded. Please retry later.', now);
  if (status === 401) return tiktokApiError('access_token_invalid', 'The access token is invalid or not found in the request.', now);
  if (status >= 400 && status < 500) return tiktokApiError('invalid_params', 'The request parameters are invalid.', now);
  return tiktokApiError('internal_error', 'Something went wrong. Please try again later.', now);
}
