import type { KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { ApiKeysTable, Database } from '../db/schema.ts';
import { ApiError, badRequest, notFound } from '../errors.ts';
import { newId } from '../ids.ts';
import { getOrganization } from '../organizations/organizations.ts';
import { generateKeySecret, hashKeySecret, type KeyEnv } from './key-secret.ts';
import { isGrantableScope, keyHasScope } from './scopes.ts';
import { TIERS, type Tier } from './tiers.ts';

export interface ApiKey {
  id: string;
  organizationId: string;
  name: string | null;
  env: KeyEnv;
  /** The public, loggable start of the secret: `lp_<env>_<lookupId>`. */
  prefix: string;
  scopes: string[];
  returnUrlAllowlist: string[];
  rateLimitTier: Tier;
  status: 'active' | 'killed' | 'retired';
  killedAt: string | null;
  retiredAt: string | null;
  createdAt: string;
}

export interface NewApiKeyInput {
  organizationId: string;
  env: KeyEnv;
  scopes: string[];
  returnDomains: string[];
  tier?: Tier;
  name?: string | null;
}

// A DNS name (labels of letters, digits and inner hyphens) or an IPv4 literal; no scheme, port or path.
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

export function normalizeReturnDomain(value: string): string {
  const host = value.trim().toLowerCase();
  if (!HOSTNAME.test(host)) {
    throw badRequest(`"${value}" is not a hostname (give a bare host such as app.example.com, without scheme, port or path).`);
  }
  return host;
}

/** Creates a key and returns its secret: the only time the secret exists outside the caller's hands. */
export async function createApiKey(
  db: Kysely<Database>,
  clock: Clock,
  hashKey: KeyObject,
  input: NewApiKeyInput,
): Promise<{ apiKey: ApiKey; secret: string }> {
  await getOrganization(db, input.organizationId);
  const unknownScopes = input.scopes.filter((s) => !isGrantableScope(s));
  if (input.scopes.length === 0 || unknownScopes.length > 0) {
    throw badRequest(
      input.scopes.length === 0 ? 'A key needs at least one scope.' : `Unknown scope(s): ${unknownScopes.join(', ')}.`,
    );
  }
  const tier = input.tier ?? 'standard';
  if (!TIERS.includes(tier)) throw badRequest(`Unknown tier "${tier}" (one of ${TIERS.join(', ')}).`);
  const { lookupId, secret } = generateKeySecret(input.env);
  const now = clock.now().toISOString();
  const row: ApiKeysTable = {
    id: newId('key'),
    organization_id: input.organizationId,
    name: input.name ?? null,
    lookup_id: lookupId,
    env: input.env,
    secret_hash: hashKeySecret(hashKey, secret),
    scopes: JSON.stringify([...new Set(input.scopes)]),
    return_domains: JSON.stringify([...new Set(input.returnDomains.map(normalizeReturnDomain))]),
    tier,
    killed_at: null,
    retired_at: null,
    created_at: now,
    updated_at: now,
  };
  await db.insertInto('api_keys').values(row).execute();
  return { apiKey: toApiKey(row), secret };
}

export async function listApiKeys(db: Kysely<Database>, organizationId: string): Promise<ApiKey[]> {
  await getOrganization(db, organizationId);
  const rows = await db
    .selectFrom('api_keys')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map(toApiKey);
}

/**
 * Looks a key up by id. With `organizationId`, a key of another organization is reported absent,
 * never forbidden, so ids of other tenants cannot be probed.
 */
export async function getApiKey(db: Kysely<Database>, id: string, organizationId?: string): Promise<ApiKey> {
  let query = db.selectFrom('api_keys').selectAll().where('id', '=', id);
  if (organizationId) query = query.where('organization_id', '=', organizationId);
  const row = await query.executeTakeFirst();
  if (!row) throw notFound(`API key ${id}`);
  return toApiKey(row);
}

/**
 * A key may always kill or retire itself; doing so to another key of its organization takes
 * `keys:write` (or `*`), so a leaked read-only key cannot stop production (docs/security.md).
 * Checked before the target is looked up: the answer is the same whether or not it exists.
 */
export function assertMayStopKey(actor: { apiKeyId: string; scopes: readonly string[] }, keyId: string): void {
  if (keyId === actor.apiKeyId || keyHasScope(actor.scopes, 'keys:write')) return;
  throw new ApiError(403, 'FORBIDDEN_SCOPE', 'Killing or retiring another API key takes the "keys:write" scope; a key may always stop itself.', {
    requiredScope: 'keys:write',
  });
}

/** Kill: an emergency stop (a leaked key). Takes effect on the next request on every process. */
export async function killApiKey(db: Kysely<Database>, clock: Clock, id: string, organizationId?: string): Promise<ApiKey> {
  const key = await getApiKey(db, id, organizationId);
  if (key.killedAt) return key;
  const now = clock.now().toISOString();
  await db.updateTable('api_keys').set({ killed_at: now, updated_at: now }).where('id', '=', id).execute();
  return getApiKey(db, id);
}

/** Retire: the orderly end of a key's life (rotation). Like kill, final for that key. */
export async function retireApiKey(db: Kysely<Database>, clock: Clock, id: string, organizationId?: string): Promise<ApiKey> {
  const key = await getApiKey(db, id, organizationId);
  if (key.retiredAt) return key;
  const now = clock.now().toISOString();
  await db.updateTable('api_keys').set({ retired_at: now, updated_at: now }).where('id', '=', id).execute();
  return getApiKey(db, id);
}

export async function changeReturnDomains(
  db: Kysely<Database>,
  clock: Clock,
  id: string,
  change: { add: string[]; remove: string[] },
): Promise<ApiKey> {
  const key = await getApiKey(db, id);
  const remove = new Set(change.remove.map(normalizeReturnDomain));
  const next = [...new Set([...key.returnUrlAllowlist, ...change.add.map(normalizeReturnDomain)])].filter(
    (domain) => !remove.has(domain),
  );
  await db
    .updateTable('api_keys')
    .set({ return_domains: JSON.stringify(next), updated_at: clock.now().toISOString() })
    .where('id', '=', id)
    .execute();
  return getApiKey(db, id);
}

export function assertKeyEnv(value: string): KeyEnv {
  if (value === 'live' || value === 'test') return value;
  throw new ApiError(400, 'VALIDATION', `Unknown env "${value}" (live or test).`);
}

export function toApiKey(row: ApiKeysTable): ApiKey {
  return {
    id: row.id,
    organizationId: row.organization_id,
    name: row.name,
    env: row.env,
    prefix: `lp_${row.env}_${row.lookup_id}`,
    scopes: JSON.parse(row.scopes) as string[],
    returnUrlAllowlist: JSON.parse(row.return_domains) as string[],
    rateLimitTier: row.tier,
    status: row.retired_at ? 'retired' : row.killed_at ? 'killed' : 'active',
    killedAt: row.killed_at,
    retiredAt: row.retired_at,
    createdAt: row.created_at,
  };
}
