export interface VerifyOptions {
  /** How far `t` may be from now, either way. Default 300 (5 minutes). */
  toleranceSeconds?: number;
  /** Seconds since the epoch; default the system clock. */
  nowSeconds?: number;
}

const encoder = new TextEncoder();

/**
 * Checks `X-Layers-Signature: t=<unix>,v1=<hex>[,v1=<hex>]` over the raw request body: true when
 * `t` is within the tolerance and any `v1` is HMAC-SHA256(secret, "<t>.<raw body>") (two `v1`
 * during the 24 hours after a secret rotation). WebCrypto only, so it runs in Node ≥ 20, Deno, Bun,
 * browsers and edge runtimes; `crypto.subtle.verify` compares in constant time. Pass the body
 * exactly as received (a string or its bytes), never re-serialized JSON.
 */
export async function verifyWebhookSignature(
  rawBody: string | Uint8Array | ArrayBuffer,
  header: string | null | undefined,
  secret: string,
  options: VerifyOptions = {},
): Promise<boolean> {
  if (!header || !secret) return false;
  const fields = header.split(',').map((field) => {
    const at = field.indexOf('=');
    return at < 0 ? ['', ''] : [field.slice(0, at).trim(), field.slice(at + 1).trim()];
  });
  const timestamp = fields.find(([name]) => name === 't')?.[1] ?? '';
  if (!/^\d{1,12}$/.test(timestamp)) return false;
  const now = options.nowSeconds ?? Date.now() / 1000;
  if (Math.abs(now - Number(timestamp)) > (options.toleranceSeconds ?? 300)) return false;

  const body = typeof rawBody === 'string' ? encoder.encode(rawBody) : new Uint8Array(rawBody);
  const prefix = encoder.encode(`${timestamp}.`);
  const signed = new Uint8Array(prefix.length + body.length);
  signed.set(prefix);
  signed.set(body, prefix.length);
  const key = await globalThis.crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  for (const [name, value] of fields) {
    if (name !== 'v1' || !value || !/^[0-9a-f]{64}$/i.test(value)) continue;
    if (await globalThis.crypto.subtle.verify('HMAC', key, hexBytes(value), signed)) return true;
  }
  return false;
}

function hexBytes(hex: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}
