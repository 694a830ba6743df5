import { z } from 'zod';
import type { Clock } from '../clock.ts';
import { invalidResponse, platformFailure, type FailureClassification, type FailureContext } from './errors.ts';
import type { PlatformModule } from './module.ts';
import type { PlatformId } from './registry.ts';

const DEFAULT_TIMEOUT_MS = 10_000;

/** Where an adapter sends its requests: the app's credentials and one base URL per host the module declares. */
export interface PlatformEndpoints {
  clientId: string;
  clientSecret: string;
  [host: `${string}BaseUrl`]: string;
}

/** One request to a platform. Bodies: a form, JSON, or raw bytes (a media chunk) with their own headers. */
export interface PlatformRequest {
  /** Human-readable name of the call (`token refresh`), used in messages and by classifiers. */
  operation: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  bearerToken?: string;
  /** HTTP Basic client authentication (some token endpoints want the app credentials this way). */
  basicAuth?: { username: string; password: string };
  form?: Record<string, string>;
  json?: unknown;
  bytes?: { data: Uint8Array; contentType: string };
  /** Every token or code the call carries: never part of an error message. The client secret always is. */
  secrets: readonly string[];
  /** What a classifier needs beyond the answer, e.g. whether the refresh token presented had expired. */
  refreshTokenExpired?: boolean;
  timeoutMs?: number;
}

export interface PlatformResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON, or undefined when the body is empty or not JSON. */
  body: unknown;
  /** The raw body, for values JSON.parse cannot hold exactly (64-bit integer ids). */
  text: string;
}

/**
 * A platform's HTTP API as one adapter sees it: requests go to the module's hosts with the app's
 * credentials, time out, and come back either as a success or as a classified PlatformError whose
 * message never carries a secret.
 */
export interface PlatformHttp {
  readonly module: PlatformModule;
  readonly endpoints: PlatformEndpoints;
  readonly clock: Clock;
  /** `base` of a declared host + `path` (the base may carry a path prefix: the emulator mounts each host under one). */
  url(host: string, path: string): string;
  /** Sends the request; a failure by the module's classifier (whatever the status) throws a PlatformError. */
  call(request: PlatformRequest): Promise<PlatformResponse>;
  /** The body of a successful response in the documented shape, or an `invalid_response` PlatformError. */
  parse<T>(schema: z.ZodType<T>, response: PlatformResponse, request: PlatformRequest): T;
  failureContext(request: Pick<PlatformRequest, 'operation' | 'secrets'>): FailureContext;
  /** A PlatformError for this request from a classification the caller made itself. */
  fail(request: Pick<PlatformRequest, 'operation' | 'secrets'>, classification: FailureClassification, httpStatus: number | null): Error;
}

export interface PlatformHttpOptions {
  endpoints: PlatformEndpoints;
  clock: Clock;
  /** Injected in tests to simulate network failures; defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Per request, including reading the body; default 10 s. */
  timeoutMs?: number;
}

/** `base` may carry a path prefix, so no `new URL(path, base)`. */
export function endpointUrl(base: string, path: string, query?: Record<string, string>): string {
  const url = `${base.replace(/\/+$/, '')}${path}`;
  return query === undefined ? url : `${url}?${new URLSearchParams(query)}`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function networkErrorDetail(error: unknown): string | null {
  if (!(error instanceof Error)) return null;
  return error.cause instanceof Error ? error.cause.message : error.message;
}

function requestBody(request: PlatformRequest): { body?: RequestInit['body']; contentType?: string } {
  if (request.form !== undefined) return { body: new URLSearchParams(request.form) };
  if (request.json !== undefined) return { body: JSON.stringify(request.json), contentType: 'application/json; charset=UTF-8' };
  if (request.bytes !== undefined) return { body: request.bytes.data, contentType: request.bytes.contentType };
  return {};
}

export function createPlatformHttp(module: PlatformModule, options: PlatformHttpOptions): PlatformHttp {
  const { endpoints, clock } = options;
  for (const host of Object.keys(module.app.hosts)) {
    if (typeof endpoints[host as `${string}BaseUrl`] !== 'string') throw new Error(`${module.displayName} endpoints need ${host}`);
  }
  const send = options.fetch ?? fetch;
  const defaultTimeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  const http: PlatformHttp = {
    module,
    endpoints,
    clock,

    url(host, path) {
      return endpointUrl(endpoints[host as `${string}BaseUrl`] as string, path);
    },

    failureContext(request) {
      return {
        platform: module.id as PlatformId,
        displayName: module.displayName,
        operation: request.operation,
        secrets: [endpoints.clientSecret, ...request.secrets],
      };
    },

    fail(request, classification, httpStatus) {
      return platformFailure(http.failureContext(request), classification, httpStatus);
    },

    async call(request) {
      const timeoutMs = request.timeoutMs ?? defaultTimeoutMs;
      const signal = AbortSignal.timeout(timeoutMs);
      const { body, contentType } = requestBody(request);
      const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
      if (contentType !== undefined) headers['content-type'] = contentType;
      if (request.bearerToken !== undefined) headers['authorization'] = `Bearer ${request.bearerToken}`;
      if (request.basicAuth !== undefined) {
        const { username, password } = request.basicAuth;
        headers['authorization'] = `Basic ${Buffer.from(`${encodeURIComponent(username)}:${encodeURIComponent(password)}`).toString('base64')}`;
      }
      const url = request.query === undefined ? request.url : `${request.url}${request.url.includes('?') ? '&' : '?'}${new URLSearchParams(request.query)}`;
      let response: PlatformResponse;
      try {
        const answer = await send(url, { method: request.method, headers, ...(body === undefined ? {} : { body }), signal });
        // The body read shares the signal, so a platform that stalls mid-body also times out.
        const text = await answer.text();
        response = { status: answer.status, headers: answer.headers, body: parseJson(text), text };
      } catch (error) {
        const platformCode = signal.aborted ? 'timeout' : 'network_error';
        const detail = signal.aborted ? `no answer within ${timeoutMs} ms` : networkErrorDetail(error);
        throw http.fail(request, { kind: 'transient', platformCode, reauthReason: null, detail }, null);
      }
      const failure = module.classify(response.status, response.body, request);
      if (failure !== null) throw http.fail(request, failure, response.status);
      return response;
    },

    parse(schema, response, request) {
      const parsed = schema.safeParse(response.body);
      if (parsed.success) return parsed.data;
      const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(body)'))];
      throw invalidResponse(http.failureContext(request), response.status, `unexpected response shape at ${fields.join(', ')}`);
    },
  };
  return http;
}
