import type { Platform, ReauthReason } from '../db/schema.ts';
import { PlatformError } from './platform.ts';
import type { PlatformErrorKind } from './platform.ts';

/** What a failed call was, for the error message; `secrets` must never appear in that message. */
export interface FailureContext {
  platform: Platform;
  /** Human-readable name of the call, e.g. `token refresh`. */
  operation: string;
  /** Client secret and every token or code the call carried. */
  secrets: readonly string[];
}

/**
 * A platform's verdict on one failed call, as the per-platform classifiers produce it. The
 * platform's own explanation is deliberately not part of it: that text is stored (last error) and
 * shown (oauth-status, 502s), and a platform may echo what it was sent, tokens included.
 */
export interface FailureClassification {
  kind: PlatformErrorKind;
  platformCode: string;
  reauthReason: ReauthReason | null;
}

const PLATFORM_NAMES: Record<Platform, string> = { tiktok: 'TikTok', instagram: 'Instagram' };

/** An error code as platforms write them (`invalid_grant`, `190/463`, `http_500`); anything else is not quoted. */
const PLATFORM_CODE = /^[A-Za-z0-9_.:/-]{1,64}$/;

/** Defence in depth: the message is the server's own words, but a detail may name what the call carried. */
function redact(text: string, secrets: readonly string[]): string {
  return secrets.filter((secret) => secret.length > 0).reduce((redacted, secret) => redacted.replaceAll(secret, '[redacted]'), text);
}

/**
 * The error for a failed call: the classified code and a message this server writes
 * (`TikTok token refresh failed (HTTP 400): invalid_grant`). `serverDetail` is text the server
 * wrote itself (a timeout, a network error, which fields were missing), never the platform's.
 */
export function platformFailure(
  context: FailureContext,
  classification: FailureClassification,
  httpStatus: number | null,
  serverDetail: string | null = null,
): PlatformError {
  const status = httpStatus === null ? '' : ` (HTTP ${httpStatus})`;
  const platformCode = PLATFORM_CODE.test(classification.platformCode) ? classification.platformCode : 'unrecognized_error';
  const detail = serverDetail ? `: ${serverDetail}` : '';
  return new PlatformError({
    platform: context.platform,
    kind: classification.kind,
    platformCode,
    reauthReason: classification.reauthReason,
    httpStatus,
    message: redact(`${PLATFORM_NAMES[context.platform]} ${context.operation} failed${status}: ${platformCode}${detail}`, context.secrets),
  });
}

/** A success status whose body is not what the platform documents: a bug or a changed API, not retried. */
export function invalidResponse(context: FailureContext, httpStatus: number, detail: string): PlatformError {
  return platformFailure(context, { kind: 'other', platformCode: 'invalid_response', reauthReason: null }, httpStatus, detail);
}
