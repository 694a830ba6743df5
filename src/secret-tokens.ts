import { randomUUID } from 'node:crypto';
import { RandomPool } from './random-pool.ts';

/**
 * Identifiers that grant something to whoever holds them: OAuth states (a pending consent that
 * any code for the server's client id completes, docs/security.md), media ids (served without
 * authentication), and every upload URL, reconnect link or token that comes later.
 *
 * Each one is drawn from the operating system's CSPRNG on its own, with no time component and
 * no generator shared with public identifiers: request and event ids come from a monotonic ULID
 * factory (src/ids.ts), so anything minted from that factory is its neighbours' id plus one.
 */

/** Capabilities' bytes: a pool of their own, never the public ids' (src/random-pool.ts). */
const secretRandom = new RandomPool();

/** `size` bytes from the CSPRNG, for a capability, a key or a nonce. */
export function secretRandomBytes(size: number): Buffer {
  return secretRandom.bytes(size);
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TOKEN_BYTES = 16;

/** Prefixes of capability identifiers in ULID shape. */
export type SecretUlidPrefix = 'st';
/** Prefixes of capability identifiers in prefixed-UUID shape. */
export type SecretUuidPrefix = 'med';

/**
 * `<prefix>_` + 26 Crockford base32 characters: the public shape of a ULID (clients may validate
 * it), but all 128 bits are random. 26 characters hold 130 bits; the top two are zero, so the
 * first character is 0–7, as in every ULID.
 */
export function newSecretUlid(prefix: SecretUlidPrefix): string {
  const bytes = secretRandomBytes(TOKEN_BYTES);
  // Five bits per character, most significant first, from the two zero bits on: the bits not yet
  // spelled stay in `pending` (never more than 12 of them).
  let text = `${prefix}_`;
  let pending = 0;
  let pendingBits = 2;
  for (const byte of bytes) {
    pending = (pending << 8) | byte;
    pendingBits += 8;
    while (pendingBits >= 5) {
      pendingBits -= 5;
      text += CROCKFORD[(pending >> pendingBits) & 31];
    }
    pending &= (1 << pendingBits) - 1;
  }
  return text;
}

/** `<prefix>_<uuid v4>`: randomUUID draws its 122 random bits from the same CSPRNG. */
export function newSecretUuid(prefix: SecretUuidPrefix): string {
  return `${prefix}_${randomUUID()}`;
}

/**
 * A bearer token that is only ever stored as a hash (a reconnect link's path, an upload URL's
 * token): 256 bits, base64url (43 characters), so it sits in a URL path unescaped.
 */
export function newBearerToken(): string {
  return secretRandomBytes(32).toString('base64url');
}
