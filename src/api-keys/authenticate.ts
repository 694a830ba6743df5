import { hash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuthVersion } from '../db/auth-version.ts';
import type { Database } from '../db/schema.ts';
import { ApiError } from '../errors.ts';
import { GLOBAL_KILL_SWITCH } from '../organizations/global-kill-switch.ts';
import type { HashKeys } from '../secrets/master-key.ts';
import { hashKeySecret, keySecretMatches, parseKeySecret, type KeyEnv } from './key-secret.ts';
import type { Tier } from './tiers.ts';

/** The keys API-key secrets are hashed with (purpose `api-key-hash`). */
export type ApiKeyHashKeys = HashKeys;

/** Who is calling: the API key behind a request, as the routes see it. */
export interface Principal {
  apiKeyId: string;
  organizationId: string;
  organizationName: string;
  env: KeyEnv;
  scopes: string[];
  tier: Tier;
  returnUrlAllowlist: string[];
}

const unauthenticated = (message: string) => new ApiError(401, 'UNAUTHENTICATED', message);
const killSwitch = (scope: 'key' | 'org' | 'global', message: string) =>
  new ApiError(503, 'KILL_SWITCH', message, { scope });

interface SwitchState {
  global_killed: number | null;
  suspended_at: string | null;
  retired_at: string | null;
  killed_at: string | null;
}

/** The kill switch that stops this key, widest first, or null when the key may act. */
function killSwitchOf(row: SwitchState): ApiError | null {
  if (row.global_killed) return killSwitch('global', 'The partner API is disabled by its operator.');
  if (row.suspended_at) return killSwitch('org', 'This organization is suspended.');
  if (row.retired_at) return killSwitch('key', 'This API key has been retired.');
  if (row.killed_at) return killSwitch('key', 'This API key has been disabled.');
  return null;
}

/**
 * Whether a key may still act, for work it started earlier (an OAuth state minted before a kill):
 * the same switches as a request, read fresh. Returns the 503 the key would get, or null.
 */
export async function keyKillSwitch(db: Kysely<Database>, apiKeyId: string): Promise<ApiError | null> {
  const row = await db
    .selectFrom('api_keys as k')
    .innerJoin('organizations as o', 'o.id', 'k.organization_id')
    .leftJoin('global_switches as g', (join) => join.on('g.name', '=', GLOBAL_KILL_SWITCH))
    .select(['k.killed_at', 'k.retired_at', 'o.suspended_at', 'g.enabled as global_killed'])
    .where('k.id', '=', apiKeyId)
    .executeTakeFirst();
  return row ? killSwitchOf(row) : killSwitch('key', 'This API key no longer exists.');
}

/**
 * Resolves `Authorization: Bearer lp_…` to a principal, or throws 401 / 503 KILL_SWITCH.
 * One query reads the key, its organization and the global switch, so a kill issued anywhere
 * is seen by every process on its very next request; nothing here is cached.
 */
export async function authenticate(
  db: Kysely<Database>,
  hashKeys: ApiKeyHashKeys,
  authorization: string | undefined,
): Promise<Principal> {
  if (!authorization) throw unauthenticated('Missing Authorization header; send "Authorization: Bearer lp_…".');
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match) throw unauthenticated('Malformed Authorization header; send "Authorization: Bearer lp_…".');
  const secret = match[1] as string;
  const parsed = parseKeySecret(secret);
  if (!parsed) throw unauthenticated('The API key is malformed.');

  const row = await keyRows(db).select('k.secret_hash').where('k.lookup_id', '=', parsed.lookupId).executeTakeFirst();
  const matchedKey = row && row.env === parsed.env ? hashKeys.all.find((key) => keySecretMatches(key, secret, row.secret_hash)) : undefined;
  if (!row || !matchedKey) throw unauthenticated('The API key is not valid.');
  if (matchedKey !== hashKeys.current) {
    // Hashed under a former master key: re-hash under the current one, so the former can be retired.
    await db.updateTable('api_keys').set({ secret_hash: hashKeySecret(hashKeys.current, secret) }).where('id', '=', row.id).execute();
  }
  return principalOfRow(row);
}

/**
 * The principal of a key for work it set up earlier and that a person now resumes without the key
 * (a reconnect link clicked days later): read fresh, with every switch a request would meet.
 * Throws 503 KILL_SWITCH as a request would (and for a key that no longer exists).
 */
export async function principalOfKey(db: Kysely<Database>, apiKeyId: string): Promise<Principal> {
  const row = await keyRows(db).where('k.id', '=', apiKeyId).executeTakeFirst();
  if (!row) throw killSwitch('key', 'This API key no longer exists.');
  return principalOfRow(row);
}

/** A key with its organization and the global switch: what deciding about a principal reads. */
function keyRows(db: Kysely<Database>) {
  return db
    .selectFrom('api_keys as k')
    .innerJoin('organizations as o', 'o.id', 'k.organization_id')
    .leftJoin('global_switches as g', (join) => join.on('g.name', '=', GLOBAL_KILL_SWITCH))
    .select([
      'k.id',
      'k.organization_id',
      'k.env',
      'k.scopes',
      'k.return_domains',
      'k.tier',
      'k.killed_at',
      'k.retired_at',
      'o.name as organization_name',
      'o.suspended_at',
      'g.enabled as global_killed',
    ]);
}

type KeyRow = SwitchState & {
  id: string;
  organization_id: string;
  env: KeyEnv;
  scopes: string;
  return_domains: string;
  tier: Tier;
  organization_name: string;
};

function principalOfRow(row: KeyRow): Principal {
  const stopped = killSwitchOf(row);
  if (stopped) throw stopped;
  return {
    apiKeyId: row.id,
    organizationId: row.organization_id,
    organizationName: row.organization_name,
    env: row.env,
    scopes: JSON.parse(row.scopes) as string[],
    tier: row.tier,
    returnUrlAllowlist: JSON.parse(row.return_domains) as string[],
  };
}

/** Keys a process remembers at most; beyond it the oldest are forgotten (and simply looked up again). */
const CACHE_SIZE = 10_000;

export type Authenticator = (authorization: string | undefined) => Promise<Principal>;

/**
 * `authenticate` with a cache of the keys it accepted, keyed by a digest of the presented header,
 * trusted only while the version of the authentication tables is the one it was filled under
 * (src/db/auth-version.ts: triggers move it on every change to a key, an organization or the
 * global switch, from any process or the CLI). A kill, a retirement, a suspension or the global
 * switch is therefore honoured on the very next request, as without the cache; refusals are never
 * cached. When the version cannot be known the cache is not used (docs/performance.md).
 */
export function createAuthenticator(db: Kysely<Database>, hashKeys: ApiKeyHashKeys, authVersion: AuthVersion): Authenticator {
  const cache = new Map<string, { principal: Principal; version: number }>();
  return async (authorization) => {
    const version = await authVersion.current();
    if (version === null || !authorization) return authenticate(db, hashKeys, authorization);
    const key = hash('sha256', authorization, 'base64');
    const cached = cache.get(key);
    if (cached?.version === version) return cached.principal;
    const principal = await authenticate(db, hashKeys, authorization);
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    cache.set(key, { principal, version });
    return principal;
  };
}
