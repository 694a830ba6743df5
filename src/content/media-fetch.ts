import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import { isBlockedAddress } from '../outbound/address-guard.ts';
import { blockedAddressCause, createOutboundDispatcher } from '../outbound/dispatcher.ts';
import { MediaRefusal } from './intake.ts';

const MAX_REDIRECTS = 3;

/** A media URL's answer, its body not yet read. */
export interface FetchedMedia {
  body: Readable;
  /** The media type the response declared (parameters dropped), or null. */
  contentType: string | null;
  /** Content-Length, when the response declared one. */
  contentLength: number | null;
  finalUrl: string;
}

export type MediaFetch = (url: string, signal: AbortSignal) => Promise<FetchedMedia>;

export interface MediaFetchOptions {
  /** Production: https only, and only public addresses, checked at connect time on every hop. */
  production: boolean;
}

/**
 * Fetches a partner's media URL on the partner's behalf: at most 3 redirects, each hop checked as
 * the first (scheme, then the address connected to, after DNS, so a name cannot pass the check and
 * connect elsewhere). Every failure is a MediaRefusal that names what went wrong.
 * The connections go through the shared outbound dispatcher (src/outbound/, docs/security.md).
 */
export function createMediaFetch(options: MediaFetchOptions): MediaFetch {
  const dispatcher: Dispatcher = createOutboundDispatcher({ blockPrivateAddresses: options.production, headersTimeoutMs: 60_000, bodyTimeoutMs: 60_000 });
  return async (url, signal) => {
    let current = url;
    for (let hop = 0; ; hop++) {
      const target = checkedUrl(current, options.production, hop > 0);
      let response: Dispatcher.ResponseData;
      try {
        response = await request(target, { method: 'GET', dispatcher, signal, headers: { accept: 'video/*, image/*' } });
      } catch (error) {
        throw connectionRefusal(error, target, signal);
      }
      const { statusCode, headers, body } = response;
      if (statusCode >= 300 && statusCode < 400 && headers.location) {
        discard(body);
        if (hop >= MAX_REDIRECTS) throw new MediaRefusal('too_many_redirects', `The URL redirected more than ${MAX_REDIRECTS} times.`);
        current = new URL(String(headers.location), target).toString();
        continue;
      }
      if (statusCode < 200 || statusCode >= 300) {
        discard(body);
        throw new MediaRefusal('http_status', `Fetching ${target.origin} answered HTTP ${statusCode}.`);
      }
      const declared = headers['content-length'];
      const type = String(headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      return {
        body: body as unknown as Readable,
        contentType: type || null,
        contentLength: declared === undefined ? null : Number(declared),
        finalUrl: target.toString(),
      };
    }
  };
}

/** Drops a body that will not be read (undici reports the abort as an error nobody needs). */
export function discard(body: Readable): void {
  body.on('error', () => {});
  body.destroy();
}

function checkedUrl(raw: string, production: boolean, redirected: boolean): URL {
  const url = URL.parse(raw);
  const where = redirected ? 'A redirect pointed to' : 'The URL is';
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) throw new MediaRefusal('invalid_url', `${where} not an http(s) URL.`);
  if (production && url.protocol !== 'https:') throw new MediaRefusal('insecure_url', `${where} http; only https media URLs are fetched.`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (production && isIP(host) && isBlockedAddress(host)) throw new MediaRefusal('blocked_address', `${where} ${host}, which is not a public address.`);
  return url;
}

function connectionRefusal(error: unknown, url: URL, signal: AbortSignal): MediaRefusal {
  if (signal.aborted) return new MediaRefusal('timeout', `Fetching ${url.origin} took longer than 60 s.`);
  if (blockedAddressCause(error)) return new MediaRefusal('blocked_address', `${url.hostname} is not a public address; media is fetched from public addresses only.`);
  const err = error as Error & { code?: string; cause?: { code?: string } };
  const code = err.code ?? err.cause?.code ?? err.name;
  return new MediaRefusal('unreachable', `Could not fetch ${url.origin} (${code}).`);
}
