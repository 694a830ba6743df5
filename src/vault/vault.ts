import { createHash, createSecretKey, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Clock } from '../clock.ts';
import { preparedQuery } from '../db/prepared-query.ts';
import type { Database } from '../db/schema.ts';
import { deriveKey } from '../secrets/master-key.ts';
import { seal, unseal } from './envelope.ts';

/** A database handle or an open transaction, for reads. */
export type Executor = Kysely<Database>;

const upsertEntry = preparedQuery(['entryId', 'dataKeyId', 'ciphertext', 'now'], (db, p) =>
  db
    .insertInto('vault_entries')
    .values({ id: p('entryId'), data_key_id: p('dataKeyId'), ciphertext: p('ciphertext'), created_at: p('now'), updated_at: p('now') })
    .onConflict((oc) => oc.column('id').doUpdateSet({ data_key_id: p('dataKeyId'), ciphertext: p('ciphertext'), updated_at: p('now') })),
);

/**
 * Encrypted storage for credentials (platform tokens, PKCE verifiers, webhook secrets), and
 * sealing for secrets stored elsewhere (idempotency records' responses).
 * Envelope encryption: each entry is sealed with a random data key; data keys are sealed
 * ("wrapped") with a key derived from LAYERS_SECRET_KEY. Plaintext exists only in memory.
 */
export interface Vault {
  /**
   * Stores `value` (JSON) under `entryId`, replacing any previous value. Writes take a transaction:
   * a credential is always written with the row that points at it, or not at all.
   */
  put(trx: Transaction<Database>, entryId: string, value: unknown): Promise<void>;
  /** The value, or null when the entry does not exist. */
  get<T>(db: Executor, entryId: string): Promise<T | null>;
  destroy(trx: Transaction<Database>, entryId: string): Promise<void>;
  /**
   * Encrypts a value kept outside the vault's own table (a stored API response) with the active
   * data key. `associatedData` names where the value lives (its row's identity): the sealed text
   * opens only there, so it cannot be copied into another row and replayed.
   */
  seal(db: Executor, associatedData: string, plaintext: string): Promise<string>;
  /** The plaintext of `seal`'s output; throws if the text or the associated data was altered. */
  open(db: Executor, associatedData: string, sealed: string): Promise<string>;
  /**
   * Re-wraps every data key under the current master key (after LAYERS_SECRET_KEY changed and
   * the old one moved to LAYERS_PREVIOUS_SECRET_KEYS). Entries themselves are untouched.
   */
  rotate(db: Executor): Promise<{ rewrapped: number; alreadyCurrent: number }>;
}

export interface VaultOptions {
  masterSecret: string;
  /** Former master secrets, still accepted for unwrapping until `rotate` has run. */
  previousMasterSecrets?: string[];
  clock: Clock;
}

interface MasterKey {
  id: string;
  wrapKey: KeyObject;
}

/** A data key was wrapped by a master key this process was not given. */
export class VaultKeyUnavailableError extends Error {}

export function newVaultEntryId(): string {
  return `ve_${randomUUID()}`;
}

export function createVault(options: VaultOptions): Vault {
  const current = masterKey(options.masterSecret);
  const masters = new Map([current, ...(options.previousMasterSecrets ?? []).map(masterKey)].map((m) => [m.id, m]));
  // Unwrapped data keys, by id. Unwrapping once per process keeps AES key unwrapping off the request path.
  const dataKeys = new Map<string, KeyObject>();
  let activeDataKeyId: string | null = null;
  // A data key created inside a transaction is that transaction's until it commits, which the vault
  // cannot see: other transactions would not find it (a foreign-key failure), and a rollback would
  // leave it nowhere. It serves its own transaction only; the process adopts a key once a later
  // lookup finds it committed. (Keys created by concurrent first writes just coexist.)
  const createdInTransaction = new WeakMap<Executor, string>();

  async function dataKey(db: Executor, id: string): Promise<KeyObject> {
    const cached = dataKeys.get(id);
    if (cached) return cached;
    const row = await db.selectFrom('vault_data_keys').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const master = masters.get(row.master_key_id);
    if (!master) {
      throw new VaultKeyUnavailableError(
        `vault data key ${id} is wrapped by master key ${row.master_key_id}, which this process was not given: put the previous LAYERS_SECRET_KEY in LAYERS_PREVIOUS_SECRET_KEYS`,
      );
    }
    const key = createSecretKey(unseal(master.wrapKey, row.wrapped_key, row.id));
    dataKeys.set(id, key);
    return key;
  }

  /** The data key new entries are sealed with: the newest one wrapped by the current master. */
  async function activeDataKey(db: Executor): Promise<{ id: string; key: KeyObject }> {
    if (activeDataKeyId) return { id: activeDataKeyId, key: await dataKey(db, activeDataKeyId) };
    const ownUncommitted = createdInTransaction.get(db);
    if (ownUncommitted) return { id: ownUncommitted, key: await dataKey(db, ownUncommitted) };
    const newest = await db
      .selectFrom('vault_data_keys')
      .select('id')
      .where('master_key_id', '=', current.id)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirst();
    if (newest) {
      activeDataKeyId = newest.id;
      return { id: newest.id, key: await dataKey(db, newest.id) };
    }
    const id = `dk_${randomUUID()}`;
    const raw = randomBytes(32);
    const key = createSecretKey(raw);
    const now = options.clock.now().toISOString();
    await db
      .insertInto('vault_data_keys')
      .values({ id, master_key_id: current.id, wrapped_key: seal(current.wrapKey, raw, id), created_at: now, updated_at: now })
      .execute();
    // Ids are random, so the cached key material can only ever belong to this id.
    dataKeys.set(id, key);
    if (db.isTransaction) createdInTransaction.set(db, id);
    else activeDataKeyId = id;
    return { id, key };
  }

  return {
    async put(db, entryId, value) {
      const { id: dataKeyId, key } = await activeDataKey(db);
      const ciphertext = seal(key, Buffer.from(JSON.stringify(value)), entryId);
      const now = options.clock.now().toISOString();
      await upsertEntry(db, { entryId, dataKeyId, ciphertext, now });
    },

    async get<T>(db: Executor, entryId: string): Promise<T | null> {
      const row = await db.selectFrom('vault_entries').selectAll().where('id', '=', entryId).executeTakeFirst();
      if (!row) return null;
      const plaintext = unseal(await dataKey(db, row.data_key_id), row.ciphertext, entryId);
      return JSON.parse(plaintext.toString('utf8')) as T;
    },

    async destroy(db, entryId) {
      await db.deleteFrom('vault_entries').where('id', '=', entryId).execute();
    },

    async seal(db, associatedData, plaintext) {
      const { id: dataKeyId, key } = await activeDataKey(db);
      // The data key id travels with the text (it never contains a dot; base64url neither).
      return `${dataKeyId}.${seal(key, Buffer.from(plaintext), associatedData)}`;
    },

    async open(db, associatedData, sealed) {
      const dot = sealed.indexOf('.');
      if (dot < 0) throw new Error('not a sealed value');
      return unseal(await dataKey(db, sealed.slice(0, dot)), sealed.slice(dot + 1), associatedData).toString('utf8');
    },

    async rotate(db) {
      const rows = await db.selectFrom('vault_data_keys').selectAll().execute();
      let rewrapped = 0;
      for (const row of rows) {
        if (row.master_key_id === current.id) continue;
        const key = await dataKey(db, row.id);
        // Compare-and-set on the old master id: two concurrent rotations re-wrap each key once.
        const result = await db
          .updateTable('vault_data_keys')
          .set({ master_key_id: current.id, wrapped_key: seal(current.wrapKey, key.export(), row.id), updated_at: options.clock.now().toISOString() })
          .where('id', '=', row.id)
          .where('master_key_id', '=', row.master_key_id)
          .executeTakeFirst();
        rewrapped += Number(result.numUpdatedRows);
      }
      return { rewrapped, alreadyCurrent: rows.length - rewrapped };
    },
  };
}

function masterKey(secret: string): MasterKey {
  const wrapKey = deriveKey(secret, 'vault-wrap');
  // The id is a fingerprint of the derived key, not of the secret, and reveals neither.
  return { id: createHash('sha256').update(wrapKey.export()).update('master-key-id').digest('hex').slice(0, 16), wrapKey };
}
