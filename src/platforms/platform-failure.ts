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

/** A platform's verdict on one failed call, as the per-platform classifiers produce it. */
export interface FailureClassification {
  kind: PlatformErrorKind;
  platformCode: string;
  reauthReason: ReauthReason | null;
  /** The platform's own explanation, if it gave one. */
  detail: string | null;
}

const PLATFORM_NAMES: Record<Platform, string> = { tiktok: 'TikTok', instagram: 'Instagram' };

/** Platforms do not echo credentials in their messages today; this keeps it so if one ever does. */
function redact(text: string, secrets: readonly string[]): string {
  return secrets.filter((secret) => secret.length > 0).reduce((redacted, secret) => redacted.replaceAll(secret, '[redacted]'), text);
}

export function platformFailure(
  context: FailureContext,
  classification: FailureClassification,
  httpStatus: number | null,
): PlatformError {
  const status = httpStatus === null ? '' : ` (HTTP ${httpStatus})`;
  const detail = classification.detail ? `: ${classification.detail}` : '';
  return new PlatformError({
    platform: context.platform,
    kind: classification.kind,
    platformCode: classification.platformCode,
    reauthReason: classification.reauthReason,
    httpStatus,
    message: redact(
      `${PLATFORM_NAMES[context.platform]} ${context.operation} failed${status}: ${classification.platformCode}${detail}`,
      context.secrets,
    ),
  });
}

/** A success status whose body is not what the platform documents: a bug or a changed API, not retried. */
export function invalidResponse(context: FailureContext, httpStatus: number, detail: string): PlatformError {
  return platformFailure(context, { kind: 'other', platformCode: 'invalid_response', reauthReason: null, detail }, httpStatus);
}
