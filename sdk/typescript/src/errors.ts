/**
 * Every failure the SDK reports. For an answer from the API, `status`, `code`, `message`,
 * `requestId` and `details` are the server's error envelope as sent; `headers` are the response's.
 * A request that never got an answer has `status` 0 and `code` `NETWORK_ERROR` or `TIMEOUT`
 * (its `cause` is the underlying error); a response that is not the API's envelope (a proxy's
 * HTML page) has `code` `UNEXPECTED_RESPONSE`.
 */
export class LayersError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | null;
  readonly details: Record<string, unknown>;
  readonly headers: Headers;
  /** On a 429: how long the server asked to wait (`Retry-After`), in seconds. Otherwise null. */
  readonly retryAfterSeconds: number | null;

  constructor(init: {
    status: number;
    code: string;
    message: string;
    requestId?: string | null;
    details?: Record<string, unknown>;
    headers?: Headers;
    retryAfterSeconds?: number | null;
    cause?: unknown;
  }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'LayersError';
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId ?? null;
    this.details = init.details ?? {};
    this.headers = init.headers ?? new Headers();
    this.retryAfterSeconds = init.retryAfterSeconds ?? null;
  }
}

interface ErrorEnvelope {
  error: { code: string; message: string; requestId?: string; details?: Record<string, unknown> };
}

function isErrorEnvelope(value: unknown): value is ErrorEnvelope {
  const error = (value as ErrorEnvelope | null)?.error;
  return typeof error === 'object' && error !== null && typeof error.code === 'string' && typeof error.message === 'string';
}

/** The LayersError for a non-2xx response whose body was `text`. */
export function errorFromResponse(response: Response, text: string): LayersError {
  const retryAfterSeconds = response.status === 429 ? retryAfterOf(response.headers) : null;
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: reported below as an unexpected response
  }
  if (!isErrorEnvelope(body)) {
    return new LayersError({
      status: response.status,
      code: 'UNEXPECTED_RESPONSE',
      message: `HTTP ${response.status} without the API's error envelope: ${text.slice(0, 200)}`,
      requestId: response.headers.get('x-request-id'),
      headers: response.headers,
      retryAfterSeconds,
    });
  }
  return new LayersError({
    status: response.status,
    code: body.error.code,
    message: body.error.message,
    requestId: body.error.requestId ?? response.headers.get('x-request-id'),
    details: body.error.details ?? {},
    headers: response.headers,
    retryAfterSeconds,
  });
}

/** `Retry-After` in seconds (the API sends a number of seconds; an HTTP date is accepted too). */
function retryAfterOf(headers: Headers): number | null {
  const value = headers.get('retry-after');
  if (value === null) return null;
  if (/^\d+$/.test(value.trim())) return Number(value);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}
