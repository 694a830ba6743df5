import { hkdfSync } from 'node:crypto';

/** What each subkey derived from LAYERS_SECRET_KEY is for; one purpose, one key. */
export type KeyPurpose = 'api-key-hash' | 'vault-wrap';

/**
 * Derives a 32-byte subkey from the operator's master secret with HKDF-SHA256. Done once at start:
 * derivation is deliberately not on any request path.
 */
export function deriveKey(masterSecret: string, purpose: KeyPurpose): Buffer {
  return Buffer.from(hkdfSync('sha256', masterSecret, 'layers-social-server', purpose, 32));
}
