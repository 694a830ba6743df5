import { lookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, request } from 'undici';
import { isBlockedAddress } from './address-guard.ts';

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

export class BlockedAddressError extends Error {}

/**
 * POSTs a delivery with a hard timeout, never following redirects, reading at most
 * `maxResponseBytes` of the answer. The address check runs inside the connection's own DNS
 * lookup, so a name cannot resolve to a public address for the check and a private one for the
 * connection (DNS rebinding).
 */
export function createWebhookSender(options: SenderOptions): WebhookSender {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxResponseBytes ?? 4096;
  const dispatcher = new Agent({
    connect: options.blockPrivateAddresses ? { lookup: guardedLookup } : {},
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });

  return async ({ url, body, headers }) => {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    if (options.blockPrivateAddresses && isIP(host) && isBlockedAddress(host)) {
      return { kind: 'blocked', message: `${host} is a private, loopback or link-local address` };
    }
    try {
      const response = await request(url, { method: 'POST', body, headers, dispatcher, signal: AbortSignal.timeout(timeoutMs) });
      return { kind: 'response', status: response.statusCode, body: await readLimited(response.body, maxBytes) };
    } catch (error) {
      const err = error as Error & { code?: string; cause?: unknown };
      if (err instanceof BlockedAddressError || err.cause instanceof BlockedAddressError) return { kind: 'blocked', message: (err.cause as Error | undefined)?.message ?? err.message };
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

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A dns.lookup that refuses private, loopback and link-local answers: the check runs on the address connected to. */
export function guardedLookup(hostname: string, options: { all?: boolean }, callback: LookupCallback): void {
  lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    const bad = addresses.find((a) => isBlockedAddress(a.address));
    if (bad) return callback(new BlockedAddressError(`${hostname} resolves to ${bad.address}, a private, loopback or link-local address`), []);
    if (options.all) return callback(null, addresses);
    const first = addresses[0] as LookupAddress;
    return callback(null, first.address, first.family);
  });
}
