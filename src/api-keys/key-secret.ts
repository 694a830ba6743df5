import { createHmac, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';

export type KeyEnv = 'live' | 'test';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
// lp_<env>_<16 base32>_<43 base64url>; the secret part may itself contain "_".
const KEY_FORMAT = /^lp_(live|test)_([A-Z2-7]{16})_([A-Za-z0-9_-]{43})$/;

export interface ParsedKeySecret {
  env: KeyEnv;
  lookupId: string;
}

/** A new key secret (docs/reference/conventions.md): shown once, then only its keyed hash is kept. */
export function generateKeySecret(env: KeyEnv): { lookupId: string; secret: string } {
  const lookupId = Array.from(randomBytes(16), (byte) => BASE32[byte & 31]).join('');
  return { lookupId, secret: `lp_${env}_${lookupId}_${randomBytes(32).toString('base64url')}` };
}

export function parseKeySecret(secret: string): ParsedKeySecret | null {
  const match = KEY_FORMAT.exec(secret);
  if (!match) return null;
  return { env: match[1] as KeyEnv, lookupId: match[2] as string };
}

/** HMAC of the whole secret, env and lookup id included, so a key presented with another env never matches. */
export function hashKeySecret(hashKey: KeyObject, secret: string): string {
  return createHmac('sha256', hashKey).update(secret).digest('hex');
}

export function keySecretMatches(hashKey: KeyObject, secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashKeySecret(hashKey, secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
