import type { Dispatcher } from 'undici';
import { blockedAddressCause, createOutboundDispatcher } from '../outbound/dispatcher.ts';

export interface WebhookRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
}

export type WebhookResponse =
  | { kind: 'response'; status: number; body: string }
  | { kind: 'timeout' }
  | { kind: 'network_error'; message: string }
  /** The URL resolved to an address a production server must not reach. */
  | { kind: 'blocked'; message: string };

export type WebhookSender = (request: WebhookRequest) => Promise<WebhookResponse>;

export interface SenderOptions {
  timeoutMs?: number;
  /** Production: refuse private, loopback and link-local destinations after DNS resolution. */
  blockPrivateAddresses: boolean;
  /** How much of an endpoint's answer is read and kept. */
  maxResponseBytes?: number;
}

/**
 * POSTs a delivery with a hard timeout, never following redirects, reading at most
 * `maxResponseBytes` of the answer, through the outbound dispatcher (src/outbound/), which checks
 * the address of every connection it makes. It drives the dispatcher with a handler of its own, not
 * undici's `request`, which makes a Readable stream and an abort signal for every answer: about a
 * tenth of a delivery's CPU (docs/performance.md, "Webhook deliveries").
 */
export function createWebhookSender(options: SenderOptions): WebhookSender {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxResponseBytes ?? 4096;
  const dispatcher = createOutboundDispatcher({
    blockPrivateAddresses: options.blockPrivateAddresses,
    headersTimeoutMs: timeoutMs,
    bodyTimeoutMs: timeoutMs,
  });

  return ({ url, body, headers }) =>
    new Promise<WebhookResponse>((resolve) => {
      let controller: Dispatcher.DispatchController | null = null;
      let settled = false;
      /** The exchange is over (answered in full, or failed): nothing is left to abort. */
      let finished = false;
      let status = 0;
      const chunks: Buffer[] = [];
      let size = 0;
      const settle = (response: WebhookResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(response);
        // Whatever is still under way (a connection, an answer past maxBytes) is not waited for.
        if (!finished && controller && !controller.aborted) controller.abort(new Error('The delivery has its answer.'));
      };
      const answered = () => ({ kind: 'response' as const, status, body: Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8') });
      const timer = setTimeout(() => settle({ kind: 'timeout' }), timeoutMs);
      try {
        const target = new URL(url);
        dispatcher.dispatch(
          { origin: target.origin, path: `${target.pathname}${target.search}`, method: 'POST', body, headers },
          {
            onRequestStart(started) {
              controller = started;
              if (settled) started.abort(new Error('The delivery timed out.'));
            },
            onResponseStart(_, statusCode) {
              status = statusCode;
            },
            onResponseData(_, chunk) {
              chunks.push(chunk);
              size += chunk.length;
              if (size >= maxBytes) settle(answered());
            },
            onResponseEnd() {
              finished = true;
              settle(answered());
            },
            onResponseError(_, error) {
              finished = true;
              settle(failure(error));
            },
          },
        );
      } catch (error) {
        settle(failure(error));
      }
    });
}

function failure(error: unknown): WebhookResponse {
  const blocked = blockedAddressCause(error);
  if (blocked) return { kind: 'blocked', message: blocked.message };
  const err = error as Error & { code?: string };
  if (err.code === 'UND_ERR_HEADERS_TIMEOUT' || err.code === 'UND_ERR_BODY_TIMEOUT') return { kind: 'timeout' };
  return { kind: 'network_error', message: err.code ? `${err.code}: ${err.message}` : err.message };
}
