import { randomBytes, randomFillSync } from 'node:crypto';

/** Bytes a pool holds between refills. */
const POOL_BYTES = 4096;

/**
 * Bytes of the operating system's CSPRNG, drawn 4 KiB at a time: each call into it costs a system
 * call (OpenSSL checks the process id, for a fork), 4–5 µs on the machine of docs/performance.md
 * ("Eighteenth round"). Each pool is its own: public ids use one (src/ids.ts) and capabilities
 * another (src/secret-tokens.ts), so no byte of one is ever in the other. Bytes handed out are
 * zeroed in the pool.
 */
export class RandomPool {
  readonly #pool = Buffer.alloc(POOL_BYTES);
  #offset = POOL_BYTES;

  /** `size` random bytes, a copy of their own. */
  bytes(size: number): Buffer {
    if (size > POOL_BYTES) return randomBytes(size);
    if (this.#offset + size > POOL_BYTES) this.#refill();
    const bytes = Buffer.from(this.#pool.subarray(this.#offset, this.#offset + size));
    this.#pool.fill(0, this.#offset, this.#offset + size);
    this.#offset += size;
    return bytes;
  }

  /** One random byte as a number in [0, 1), in steps of 1/256. */
  fraction(): number {
    if (this.#offset === POOL_BYTES) this.#refill();
    const byte = this.#pool[this.#offset] as number;
    this.#pool[this.#offset++] = 0;
    return byte / 256;
  }

  #refill(): void {
    randomFillSync(this.#pool);
    this.#offset = 0;
  }
}
