import { createHmac } from 'node:crypto';

/**
 * `X-Layers-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]`: v1 = HMAC-SHA256(secret, "<t>.<raw body>"),
 * one v1 per signing secret still active (two during a rotation).
 */
export function signatureHeader(secrets: readonly string[], timestampSeconds: number, rawBody: string): string {
  const signatures = secrets.map((secret) => `v1=${createHmac('sha256', secret).update(`${timestampSeconds}.${rawBody}`).digest('hex')}`);
  return [`t=${timestampSeconds}`, ...signatures].join(',');
}
