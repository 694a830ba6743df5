import { randomUUID } from 'node:crypto';
import { monotonicFactory } from 'ulid';
import { RandomPool } from './random-pool.ts';
import type { SecretUuidPrefix } from './secret-tokens.ts';

/** Resources identified by a prefixed UUID v4 (docs/security.md lists the ones that are secrets). */
export type UuidPrefix = 'org' | 'prj' | 'key' | 'sa' | 'sp' | 'cnt' | 'we' | 'wd' | 'ps' | 'ast' | 'fil' | 'rl' | SecretUuidPrefix;
/**
 * Public, time-ordered ids from one monotonic factory: within a millisecond each is the previous
 * one plus one, so nothing that grants anything may come from here (see src/secret-tokens.ts).
 */
export type UlidPrefix = 'evt' | 'req' | 'aud';

/**
 * Public ids need no fresh system call per character: the ULID factory draws one random number per
 * character it encodes (16 for a new millisecond), so its numbers come from a pool of their own
 * (src/random-pool.ts; docs/performance.md: the per-character draws were an eighth of a request's
 * CPU). Nothing that grants anything comes from here (src/secret-tokens.ts).
 */
const publicRandom = new RandomPool();
const nextUlid = monotonicFactory(() => publicRandom.fraction());
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function newId(prefix: Exclude<UuidPrefix, SecretUuidPrefix>): string {
  return `${prefix}_${randomUUID()}`;
}

export function newUlidId(prefix: UlidPrefix): string {
  return `${prefix}_${nextUlid()}`;
}

/**
 * Path parameters accept `prefix_<uuid>` and the bare UUID; both resolve to the stored, prefixed,
 * lower-case form. Anything else is malformed (null).
 */
export function parsePathId(value: string, prefix: UuidPrefix): string | null {
  const bare = value.startsWith(`${prefix}_`) ? value.slice(prefix.length + 1) : value;
  return UUID.test(bare) ? `${prefix}_${bare.toLowerCase()}` : null;
}

/** Bodies must name resources in the prefixed form (docs/reference/conventions.md, "Identifiers"). */
export function isPrefixedId(value: string, prefix: UuidPrefix): boolean {
  return value.startsWith(`${prefix}_`) && UUID.test(value.slice(prefix.length + 1));
}
