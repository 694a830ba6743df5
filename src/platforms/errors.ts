import type { ReauthReason } from '../db/schema.ts';
import type { PlatformId } from './registry.ts';

/**
 * Every platform failure is classified before anything touches an account's status
 * (docs/behaviour.md, "Platform failures"):
 * - `transient`: 5xx, 429, timeouts, network errors: retry later, status unchanged;
 * - `needs_reauth`: a definite rejection of the credential (revoked grant, expired refresh
 *   token, an access token a refresh cannot mend);
 * - `rejected`: the platform refused the content (format, duration, size, a privacy option the
 *   creator does not offer): the post fails with MEDIA_REJECTED, nothing is retried;
 * - `posting_limit`: the platform's posting cap is reached: the post fails with RATE_LIMITED;
 * - `other`: anything else (a bad request, a bug): reported, not retried, status unchanged.
 */
export type PlatformErrorKind = 'transient' | 'needs_reauth' | 'rejected' | 'posting_limit' | 'other';

export class PlatformError extends Error {
  readonly platform: PlatformId;
  readonly kind: PlatformErrorKind;
  /** The platform's own error code, as its module's classifier reads it (e.g. `invalid_grant`, `190/463`). */
  readonly platformCode: string;
  readonly reauthReason: ReauthReason | null;
  readonly httpStatus: number | null;

  constructor(init: {
    platform: PlatformId;
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

/** What a failed call was, for the error message; `secrets` must never appear in that message. */
export interface FailureContext {
  platform: PlatformId;
  /** The platform's name for people (its module's displayName). */
  displayName: string;
  /** Human-readable name of the call, e.g. `token refresh`. */
  operation: string;
  /** Client secret and every token or code the call carried. */
  secrets: readonly string[];
}

/**
 * A platform's verdict on one failed call, as each module's classifier produces it. The platform's
 * own explanation is deliberately not part of it: the message is stored (last error) and shown
 * (oauth-status, 502s, posts), and a platform may echo what it was sent, tokens included
 * (docs/security.md).
 */
export interface FailureClassification {
  kind: PlatformErrorKind;
  platformCode: string;
  reauthReason: ReauthReason | null;
  /** Text this server wrote itself (which fields were missing, what a creator offers), never the platform's. */
  detail?: string | null;
}

/** An error code as platforms write them (`invalid_grant`, `190/463`, `http_500`); anything else is not quoted. */
const PLATFORM_CODE = /^[A-Za-z0-9_.:/-]{1,64}$/;

/** Defence in depth: the message is the server's own words, but a detail may name what the call carried. */
function redact(text: string, secrets: readonly string[]): string {
  return secrets.filter((secret) => secret.length > 0).reduce((redacted, secret) => redacted.replaceAll(secret, '[redacted]'), text);
}

/** The error for a failed call: the classified code and a message this server writes (`<Platform> token refresh failed (HTTP 400): invalid_grant`). */
export function platformFailure(context: FailureContext, classification: FailureClassification, httpStatus: number | null): PlatformError {
  const status = httpStatus === null ? '' : ` (HTTP ${httpStatus})`;
  const platformCode = PLATFORM_CODE.test(classification.platformCode) ? classification.platformCode : 'unrecognized_error';
  const detail = classification.detail ? `: ${classification.detail}` : '';
  return new PlatformError({
    platform: context.platform,
    kind: classification.kind,
    platformCode,
    reauthReason: classification.reauthReason,
    httpStatus,
    message: redact(`${context.displayName} ${context.operation} failed${status}: ${platformCode}${detail}`, context.secrets),
  });
}

/** A success status whose body is not what the platform documents: a bug or a changed API, not retried. */
export function invalidResponse(context: FailureContext, httpStatus: number, detail: string): PlatformError {
  return platformFailure(context, { kind: 'other', platformCode: 'invalid_response', reauthReason: null, detail }, httpStatus);
}

/** Small readers for the loosely typed JSON bodies classifiers inspect. */
export function jsonRecord(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

export function nonEmptyString(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}
