import { createHash } from 'node:crypto';

// Ids are derived from the username alone, so the same username maps to the same platform ids
// in every emulator instance and across restarts, like a real account would.

export function digest(label: string): Buffer {
  return createHash('sha256').update(label).digest();
}

/** A UUID-shaped id from the first 16 bytes of a digest. */
export function uuidFrom(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20, 32)].join('-');
}
