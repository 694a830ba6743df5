import { request } from 'undici';
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
 * the address of every connection it makes.
 */
export function createWebhookSender(options: SenderOptions): WebhookSender {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxResponseBytes ?? 4096;
  const dispatcher = createOutboundDispatcher({
    blockPrivateAddresses: options.blockPrivateAddresses,
    headersTimeoutMs: timeoutMs,
    bodyTimeoutMs: timeoutMs,
  });

  return async ({ url, body, headers }) => {
    try {
      const response = await request(url, { method: 'POST', body, headers, dispatcher, signal: AbortSignal.timeout(timeoutMs) });
      return { kind: 'response', status: response.statusCode, body: await readLimited(response.body, maxBytes) };
    } catch (error) {
      const blocked = blockedAddressCause(error);
      if (blocked) return { kind: 'blocked', message: blocked.message };
      const err = error as Error & { code?: string };
      if (err.name === 'TimeoutError' || err.name === 'AbortError' || err.code === 'UND_ERR_HEADERS_TIMEOUT' || err.code === 'UND_ERR_BODY_TIMEOUT') {
        return { kind: 'timeout' };
      }
      return { kind: 'network_error', message: err.code ? `${err.code}: ${err.message}` : err.message };
    }
  };
}

async function readLimited(body: AsyncIterable<Buffer> & { destroy(): void }, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= maxBytes) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8');
}
