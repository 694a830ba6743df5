import { createCipheriv, createDecipheriv, type KeyObject } from 'node:crypto';
import { secretRandomBytes } from '../secret-tokens.ts';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM: base64url(iv | tag | ciphertext). The associated data binds a ciphertext to where it
 * is stored (an entry id, a data key id), so a row copied elsewhere does not decrypt.
 */
export function seal(key: KeyObject, plaintext: Buffer, associatedData: string): string {
  const iv = secretRandomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(associatedData));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

/** Throws when the key, the associated data or any byte of the sealed value is wrong. */
export function unseal(key: KeyObject, sealed: string, associatedData: string): Buffer {
  const raw = Buffer.from(sealed, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(associatedData));
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
}
