import { createHmac, type KeyObject } from 'node:crypto';

/**
 * `X-Layers-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]`: v1 = HMAC-SHA256(secret, "<t>.<raw body>"),
 * one v1 per signing secret still active (two during a rotation). A secret may come as a KeyObject
 * (createSecretKey of its UTF-8 bytes): the delivery worker makes those once per chain, which spares
 * the key set-up of every signature.
 */
export function signatureHeader(secrets: ReadonlyArray<string | KeyObject>, timestampSeconds: number, rawBody: string): string {
  const signatures = secrets.map((secret) => `v1=${createHmac('sha256', secret).update(`${timestampSeconds}.${rawBody}`).digest('hex')}`);
  return [`t=${timestampSeconds}`, ...signatures].join(',');
}
