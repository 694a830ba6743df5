import { errorFromResponse, LayersError } from './errors.ts';

export interface LayersOptions {
  /** `lp_live_…` or `lp_test_…`. */
  apiKey: string;
  /** Default `https://api.layers.com`; a self-hosted server's URL otherwise. */
  baseUrl?: string;
  /** Sent as `X-Layers-Organization` on every request (the key's own organization id). */
  organization?: string;
  /** Retries after a 429, a 5xx or a network error, where safe (see README). Default 3; 0 turns them off. */
  maxRetries?: number;
  /** Per attempt. Default 60 000. */
  timeoutMs?: number;
  /** Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** How the client waits between retries and polls; tests pass one that does not. */
  sleep?: (ms: number) => Promise<void>;
  /** Milliseconds since the epoch; default `Date.now`. */
  now?: () => number;
  /** In [0, 1): the jitter of retry delays; default `Math.random`. */
  random?: () => number;
}

/** Per-call options, the last argument of every method. */
export interface RequestOptions {
  /**
   * Your own `Idempotency-Key` (1–255 printable characters), e.g. derived from your action's id.
   * Otherwise the client generates one for every route that honours it, reused across its retries.
   */
  idempotencyKey?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  maxRetries?: number;
}

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Already encoded, from `/v1`. */
  path: string;
  query?: Record<string, unknown>;
  body?: unknown;
  /**
   * Whether the route replays a repeated `Idempotency-Key` (every mutating route but oauth-url and
   * reauth-url, which mint a fresh state each time). Default: every method but GET.
   */
  replaysIdempotencyKey?: boolean;
}

const DEFAULT_BASE_URL = 'https://api.layers.com';
const BASE_DELAY_MS = 500;
/** No wait between attempts is longer; a 429 asking for more is reported instead of waited out. */
export const MAX_RETRY_DELAY_MS = 30_000;

/**
 * The transport every method goes through: authentication, JSON, errors as LayersError, and
 * retries. A retry happens only where repeating the request cannot do the work twice: after a
 * 429 (the server refused before doing anything), and after a 5xx or a network failure for GETs
 * and for requests carrying an `Idempotency-Key` the route replays. A kill switch (503
 * KILL_SWITCH) is never retried: it stays on until an operator turns it off.
 */
export class HttpClient {
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  readonly #apiKey: string;
  readonly #baseUrl: string;
  readonly #organization: string | undefined;
  readonly #maxRetries: number;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;
  readonly #random: () => number;

  constructor(options: LayersOptions) {
    if (!options.apiKey) throw new TypeError('new Layers({ apiKey }) needs an API key (lp_live_… or lp_test_…).');
    this.#apiKey = options.apiKey;
    this.#baseUrl = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.#organization = options.organization;
    this.#maxRetries = options.maxRetries ?? 3;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
  }

  async request<T>(spec: RequestSpec, options: RequestOptions = {}): Promise<T> {
    const replays = spec.replaysIdempotencyKey ?? spec.method !== 'GET';
    const idempotencyKey = options.idempotencyKey ?? (replays ? globalThis.crypto.randomUUID() : undefined);
    const repeatable = spec.method === 'GET' || (replays && idempotencyKey !== undefined);
    const maxRetries = options.maxRetries ?? this.#maxRetries;
    const url = this.#url(spec);
    const init = this.#init(spec, idempotencyKey);

    for (let retry = 0; ; retry++) {
      let response: Response;
      let text: string;
      try {
        response = await this.#fetch(url, { ...init, signal: this.#signal(options) });
        text = await response.text();
      } catch (cause) {
        if (options.signal?.aborted) throw cause;
        const failure = connectionError(cause);
        if (!repeatable || retry >= maxRetries) throw failure;
        await this.sleep(this.#backoffMs(retry));
        continue;
      }
      if (response.ok) return parseBody<T>(response, text);

      const error = errorFromResponse(response, text);
      const delay = retry < maxRetries ? this.#retryDelayMs(error, repeatable, retry) : null;
      if (delay === null) throw error;
      await this.sleep(delay);
    }
  }

  /**
   * PUTs bytes to an upload URL the API handed out (the URL is the credential: no API key goes
   * with it). Repeating the same PUT is harmless, so network errors and 5xx are retried.
   */
  async putBytes(url: string, headers: Record<string, string>, body: Blob, options: RequestOptions = {}): Promise<void> {
    const maxRetries = options.maxRetries ?? this.#maxRetries;
    for (let retry = 0; ; retry++) {
      let response: Response;
      let text: string;
      try {
        response = await this.#fetch(url, { method: 'PUT', headers, body, signal: this.#signal(options) });
        text = await response.text();
      } catch (cause) {
        if (options.signal?.aborted || retry >= maxRetries) throw connectionError(cause);
        await this.sleep(this.#backoffMs(retry));
        continue;
      }
      if (response.ok) return;
      const error = errorFromResponse(response, text);
      const delay = retry < maxRetries ? this.#retryDelayMs(error, true, retry) : null;
      if (delay === null) throw error;
      await this.sleep(delay);
    }
  }

  /** How long to wait before repeating a request that failed with `error`, or null not to. */
  #retryDelayMs(error: LayersError, repeatable: boolean, retry: number): number | null {
    if (error.status === 429) {
      if (error.retryAfterSeconds === null) return this.#backoffMs(retry);
      const wait = error.retryAfterSeconds * 1000;
      return wait <= MAX_RETRY_DELAY_MS ? wait : null;
    }
    if (error.status >= 500 && repeatable && error.code !== 'KILL_SWITCH') return this.#backoffMs(retry);
    return null;
  }

  /** Exponential (0.5 s, 1 s, 2 s, … capped at 30 s) with jitter: between half and all of it. */
  #backoffMs(retry: number): number {
    const ceiling = Math.min(MAX_RETRY_DELAY_MS, BASE_DELAY_MS * 2 ** retry);
    return ceiling / 2 + (this.#random() * ceiling) / 2;
  }

  #url(spec: RequestSpec): string {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(spec.query ?? {})) {
      if (value === undefined) continue;
      for (const item of Array.isArray(value) ? value : [value]) search.append(name, String(item));
    }
    const query = search.toString();
    return `${this.#baseUrl}${spec.path}${query ? `?${query}` : ''}`;
  }

  #init(spec: RequestSpec, idempotencyKey: string | undefined): RequestInit {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#apiKey}`, accept: 'application/json' };
    if (this.#organization) headers['x-layers-organization'] = this.#organization;
    if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
    if (spec.body !== undefined) headers['content-type'] = 'application/json';
    return { method: spec.method, headers, ...(spec.body !== undefined ? { body: JSON.stringify(spec.body) } : {}) };
  }

  #signal(options: RequestOptions): AbortSignal {
    const timeout = AbortSignal.timeout(options.timeoutMs ?? this.#timeoutMs);
    return options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  }
}

function parseBody<T>(response: Response, text: string): T {
  if (!text) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw new LayersError({
      status: response.status,
      code: 'UNEXPECTED_RESPONSE',
      message: `HTTP ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`,
      requestId: response.headers.get('x-request-id'),
      headers: response.headers,
      cause,
    });
  }
}

function connectionError(cause: unknown): LayersError {
  const timedOut = cause instanceof Error && cause.name === 'TimeoutError';
  return new LayersError({
    status: 0,
    code: timedOut ? 'TIMEOUT' : 'NETWORK_ERROR',
    message: timedOut ? 'The API did not answer in time.' : `The API could not be reached: ${cause instanceof Error ? cause.message : String(cause)}`,
    cause,
  });
}
