import { z } from 'zod';
import { invalidResponse, platformFailure } from './platform-failure.ts';
import type { FailureContext } from './platform-failure.ts';

const DEFAULT_TIMEOUT_MS = 10_000;

export interface PlatformRequest extends FailureContext {
  method: 'GET' | 'POST';
  url: string;
  bearerToken?: string;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string>;
}

export interface PlatformResponse {
  status: number;
  /** Parsed JSON, or undefined when the body is empty or not JSON. */
  body: unknown;
  /** The raw body, for values JSON.parse cannot hold exactly (Instagram's 64-bit ids). */
  text: string;
}

/** Sends one request; network failures and timeouts throw a `transient` PlatformError, any status returns. */
export type PlatformSend = (request: PlatformRequest) => Promise<PlatformResponse>;

/** `base` may carry a path prefix (the emulator mounts each host under one), so no `new URL(path, base)`. */
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

export function createPlatformSend(options: { fetch?: typeof fetch; timeoutMs?: number }): PlatformSend {
  const send = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  return async (request) => {
    const signal = AbortSignal.timeout(timeoutMs);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (request.bearerToken !== undefined) headers['authorization'] = `Bearer ${request.bearerToken}`;
    try {
      const response = await send(request.url, {
        method: request.method,
        headers,
        ...(request.form === undefined ? {} : { body: new URLSearchParams(request.form) }),
        signal,
      });
      // The body read shares the signal, so a platform that stalls mid-body also times out.
      const text = await response.text();
      return { status: response.status, body: parseJson(text), text };
    } catch (error) {
      const platformCode = signal.aborted ? 'timeout' : 'network_error';
      const detail = signal.aborted ? `no answer within ${timeoutMs} ms` : networkErrorDetail(error);
      throw platformFailure(request, { kind: 'transient', platformCode, reauthReason: null }, null, detail);
    }
  };
}

/** The body of a successful response in the documented shape, or an `invalid_response` PlatformError. */
export function parseSuccessBody<T>(schema: z.ZodType<T>, response: PlatformResponse, context: FailureContext): T {
  const parsed = schema.safeParse(response.body);
  if (parsed.success) return parsed.data;
  const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(body)'))];
  throw invalidResponse(context, response.status, `unexpected response shape at ${fields.join(', ')}`);
}
