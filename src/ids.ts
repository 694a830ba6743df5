import { randomUUID } from 'node:crypto';
import { monotonicFactory } from 'ulid';

/** Resources identified by a prefixed UUID v4 (docs/reference/conventions.md, "Identifiers"). */
export type UuidPrefix = 'org' | 'prj' | 'key' | 'sa' | 'sp' | 'cnt' | 'we' | 'wd' | 'med' | 'ps' | 'ast' | 'fil';
/** Resources identified by a prefixed ULID, sortable by creation time. */
export type UlidPrefix = 'st' | 'evt' | 'req' | 'aud';

const nextUlid = monotonicFactory();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function newId(prefix: UuidPrefix): string {
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
