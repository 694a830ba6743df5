import type { ReauthReason } from '../db/schema.ts';
import type { FailureClassification } from './platform-failure.ts';

/** Graph codes that mean "retry later": unknown/service errors and throttling (PLATFORMS.md 2.3). */
const TRANSIENT_CODES = new Set([1, 2, 4, 17, 341]);
/** 190 "access token invalid" and 102 "API session" both mean the token is dead. */
const TOKEN_DEAD_CODES = new Set([190, 102]);
const REAUTH_REASON_BY_SUBCODE = new Map<number, ReauthReason>([
  [458, 'token_revoked'], // app removed by the user
  [467, 'token_revoked'], // user logged out / token invalidated
  [463, 'refresh_expired'], // expired: a dead Instagram token cannot be refreshed
  [460, 'credential_invalid'], // password changed
]);

interface GraphError {
  code: number | null;
  subcode: number | null;
  isTransient: boolean;
}

function record(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
}

function integer(value: unknown): number | null {
  return typeof value === 'number' && Number.isInteger(value) ? value : null;
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/** `{error:{code, error_subcode, is_transient, message}}`, the Graph shape. */
function graphError(body: unknown): GraphError | null {
  const error = record(record(body)?.['error']);
  if (error === null) return null;
  return {
    code: integer(error['code']),
    subcode: integer(error['error_subcode']),
    isTransient: error['is_transient'] === true,
  };
}

/** The code exchange's older `{error_type, code, error_message}` shape. */
function oauthExceptionError(body: unknown): { code: string } | null {
  const error = record(body);
  if (error === null || text(error['error_type']) === null) return null;
  return { code: String(error['code'] ?? error['error_type']) };
}

/** True when an Instagram answer is a failure: a non-2xx status or either error shape. */
export function isInstagramFailure(status: number, body: unknown): boolean {
  return status < 200 || status >= 300 || graphError(body) !== null || oauthExceptionError(body) !== null;
}

function graphCode(error: GraphError, status: number): string {
  if (error.code === null) return `http_${status}`;
  return error.subcode === null ? String(error.code) : `${error.code}/${error.subcode}`;
}

function classifyGraphError(error: GraphError, status: number): FailureClassification {
  const platformCode = graphCode(error, status);
  const verdict = (kind: FailureClassification['kind'], reauthReason: ReauthReason | null = null): FailureClassification => ({
    kind,
    platformCode,
    reauthReason,
  });
  const code = error.code ?? -1;
  if (status >= 500 || status === 429 || error.isTransient || TRANSIENT_CODES.has(code)) return verdict('transient');
  if (TOKEN_DEAD_CODES.has(code)) {
    // No subcode ("cannot parse access token") or one not listed (checkpointed, unconfirmed user): reconnect.
    return verdict('needs_reauth', REAUTH_REASON_BY_SUBCODE.get(error.subcode ?? -1) ?? 'credential_invalid');
  }
  if (code === 10 || (code >= 200 && code <= 299)) return verdict('needs_reauth', 'scopes_missing');
  return verdict('other');
}

/** Classifies a failed Instagram call (LESSONS.md 2): only a definite rejection of the credential means reauth. */
export function classifyInstagramFailure(status: number, body: unknown): FailureClassification {
  const graph = graphError(body);
  if (graph !== null) return classifyGraphError(graph, status);
  const transient = status >= 500 || status === 429;
  const oauth = oauthExceptionError(body);
  // The code exchange's own rejections (a used or expired code, a bad redirect) are never about an account.
  return {
    kind: transient ? 'transient' : 'other',
    platformCode: oauth?.code ?? `http_${status}`,
    reauthReason: null,
  };
}
