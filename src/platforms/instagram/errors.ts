import type { ReauthReason } from '../../db/schema.ts';
import { jsonRecord, nonEmptyString, type FailureClassification } from '../errors.ts';

/** Graph codes that mean "retry later": unknown/service errors and throttling (docs/platforms/instagram.md). */
const TRANSIENT_CODES = new Set([1, 2, 4, 17, 341]);
/** 190 "access token invalid" and 102 "API session" both mean the token is dead. */
const TOKEN_DEAD_CODES = new Set([190, 102]);
/**
 * Content-publishing subcodes (docs/platforms/instagram.md, "Publishing"), read before the code: the
 * daily cap comes as code 9 and the spam restriction as code 4, which alone would read as throttling.
 */
const PUBLISHING_SUBCODES = new Map<number, FailureClassification['kind']>([
  [2207001, 'transient'], // server error
  [2207003, 'transient'], // downloading the media took too long
  [2207020, 'transient'], // the container expired: a new one is needed
  [2207027, 'transient'], // 9007 "Media ID is not available": not finished processing
  [2207032, 'transient'], // creating the media failed: create it again
  [2207053, 'transient'], // unknown upload error: a new container
  [2207052, 'transient'], // the media could not be fetched from its URL
  [2207004, 'rejected'], // image over 8 MiB
  [2207005, 'rejected'], // image format not supported
  [2207009, 'rejected'], // aspect ratio out of range
  [2207026, 'rejected'], // video format not supported
  [2207042, 'posting_limit'], // the account's 24-hour publishing limit
  [2207051, 'posting_limit'], // publishing restricted as suspected spam
]);
/** Codes of content Instagram refuses whatever the subcode (36000–36004: the media itself). */
const REJECTED_CODES = new Set([36000, 36001, 36002, 36003, 36004]);

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

function integer(value: unknown): number | null {
  return typeof value === 'number' && Number.isInteger(value) ? value : null;
}

/** `{error:{code, error_subcode, is_transient, message}}`, the Graph shape. */
function graphError(body: unknown): GraphError | null {
  const error = jsonRecord(jsonRecord(body)?.['error']);
  if (error === null) return null;
  return {
    code: integer(error['code']),
    subcode: integer(error['error_subcode']),
    isTransient: error['is_transient'] === true,
  };
}

/** The code exchange's older `{error_type, code, error_message}` shape. */
function oauthExceptionError(body: unknown): { code: string } | null {
  const error = jsonRecord(body);
  if (error === null || nonEmptyString(error['error_type']) === null) return null;
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
  const publishing = PUBLISHING_SUBCODES.get(error.subcode ?? -1);
  if (publishing !== undefined) return verdict(publishing);
  if (code === 9007) return verdict('transient');
  if (REJECTED_CODES.has(code)) return verdict('rejected');
  if (status >= 500 || status === 429 || error.isTransient || TRANSIENT_CODES.has(code)) return verdict('transient');
  if (TOKEN_DEAD_CODES.has(code)) {
    // No subcode ("cannot parse access token") or one not listed (checkpointed, unconfirmed user): reconnect.
    return verdict('needs_reauth', REAUTH_REASON_BY_SUBCODE.get(error.subcode ?? -1) ?? 'credential_invalid');
  }
  if (code === 10 || (code >= 200 && code <= 299)) return verdict('needs_reauth', 'scopes_missing');
  return verdict('other');
}

/** Classifies a failed Instagram call (docs/behaviour.md, "Platform failures"): only a definite rejection of the credential means reauth. */
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

/**
 * A container's `status_code: ERROR` carries the reason in `status` (a subcode, sometimes inside a
 * sentence): the same subcodes as a refused call. Unknown reasons end the post as rejected media.
 */
export function classifyContainerError(status: string | null): FailureClassification {
  const subcode = /\b(22\d{5})\b/.exec(status ?? '')?.[1];
  const kind = subcode === undefined ? undefined : PUBLISHING_SUBCODES.get(Number(subcode));
  return {
    kind: kind === 'transient' || kind === 'posting_limit' ? kind : 'rejected',
    platformCode: subcode ?? 'container_error',
    reauthReason: null,
    detail: `the media container reads ERROR${status ? ` (${status})` : ''}`,
  };
}
