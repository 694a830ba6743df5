import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ExpressionBuilder, Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Database, IdempotencyRecordsTable } from '../db/schema.ts';
import { ApiError, badRequest } from '../errors.ts';
import type { Vault } from '../vault/vault.ts';
import { canonicalJson } from './canonical-json.ts';
import { hookRoutes, isAuthenticatedWrite } from './route-hooks.ts';

const RETENTION_MS = 24 * 60 * 60 * 1000;
/** An in-flight claim older than this belongs to a process that died; a retry may take it over. */
const ABANDONED_CLAIM_MS = 60 * 1000;
const KEY_FORMAT = /^[\x20-\x7e]{1,255}$/;

type RecordKey = Pick<IdempotencyRecordsTable, 'api_key_id' | 'route' | 'idempotency_key'>;

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when this request owns an idempotency record and must store its response. */
    idempotencyClaim: RecordKey | null;
  }
}

/**
 * `Idempotency-Key` (docs/reference/conventions.md, "Idempotency"), per API key and route, kept 24 hours. Checked after the body is
 * validated, so a rejected body never occupies a key. The first response (success or 4xx) is
 * stored and replayed byte for byte; a 5xx releases the key so the client can retry.
 * A stored response may hold a secret shown once (a webhook signing secret), so its body is
 * sealed with the vault's data key, bound to the record's identity (docs/security.md).
 */
export function installIdempotency(app: FastifyInstance, deps: { db: Kysely<Database>; clock: Clock; vault: Vault }): void {
  const { db, clock, vault } = deps;
  app.decorateRequest('idempotencyClaim', null);

  const preHandler = async (request: FastifyRequest, reply: FastifyReply) => {
    const access = request.routeOptions.config.access;
    const header = request.headers['idempotency-key'];
    if (!access || !request.principal || header === undefined) return;
    const idempotencyKey = Array.isArray(header) ? header[0] ?? '' : header;
    if (!KEY_FORMAT.test(idempotencyKey)) {
      throw badRequest('Idempotency-Key must be 1–255 printable ASCII characters.', [
        { path: 'Idempotency-Key', code: 'invalid_format', message: 'Expected 1–255 printable ASCII characters.' },
      ]);
    }
    const key: RecordKey = {
      api_key_id: request.principal.apiKeyId,
      route: `${request.method} ${request.routeOptions.url}`,
      idempotency_key: idempotencyKey,
    };
    const requestHash = hashRequest(request);
    const mode = access.idempotency ?? 'replay';
    const existing = await claimOrFind(db, clock, key, requestHash, mode);
    if (!existing) {
      if (mode === 'replay') request.idempotencyClaim = key;
      return;
    }
    if (existing.request_hash !== requestHash) {
      throw new ApiError(409, 'IDEMPOTENCY_CONFLICT', 'This Idempotency-Key was already used with a different request body.', {
        originalRequestHash: existing.request_hash,
        currentRequestHash: requestHash,
      });
    }
    if (mode === 'detect-conflicts') return;
    if (existing.state === 'in_flight') {
      throw new ApiError(409, 'CONFLICT', 'A request with this Idempotency-Key is still in progress.', {
        currentStatus: 'in_flight',
      });
    }
    const headers = JSON.parse(existing.response_headers ?? '{}') as Record<string, string>;
    const body = existing.response_body === null ? '' : await vault.open(db, recordIdentity(key), existing.response_body);
    return reply
      .status(existing.response_status ?? 200)
      .headers(headers)
      .header('idempotent-replayed', 'true')
      .send(body);
  };

  const onSend = async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const claim = request.idempotencyClaim;
    if (!claim) return payload;
    request.idempotencyClaim = null;
    if (reply.statusCode >= 500) {
      await db.deleteFrom('idempotency_records').where(matchesKey(claim)).execute();
      return payload;
    }
    const contentType = reply.getHeader('content-type');
    const body = typeof payload === 'string' ? payload : payload == null ? '' : String(payload);
    await db
      .updateTable('idempotency_records')
      .set({
        state: 'completed',
        response_status: reply.statusCode,
        response_headers: JSON.stringify(contentType ? { 'content-type': String(contentType) } : {}),
        response_body: await vault.seal(db, recordIdentity(claim), body),
      })
      .where(matchesKey(claim))
      .execute();
    return payload;
  };

  hookRoutes(app, isAuthenticatedWrite, { preHandler, onSend });
}

/** What a sealed response is bound to: it opens only as the response of this very record. */
function recordIdentity(key: RecordKey): string {
  return `idempotency\n${key.api_key_id}\n${key.route}\n${key.idempotency_key}`;
}

function hashRequest(request: FastifyRequest): string {
  const path = request.url.split('?')[0];
  return createHash('sha256').update(`${request.method} ${path}\n${canonicalJson(request.body ?? null)}`).digest('hex');
}

/** Inserts a new record (returns null: the caller owns it) or returns the one already there. */
async function claimOrFind(
  db: Kysely<Database>,
  clock: Clock,
  key: RecordKey,
  requestHash: string,
  mode: 'replay' | 'detect-conflicts',
): Promise<IdempotencyRecordsTable | null> {
  const now = clock.now();
  for (let attempt = 0; attempt < 3; attempt++) {
    const inserted = await db
      .insertInto('idempotency_records')
      .values({
        ...key,
        request_hash: requestHash,
        state: mode === 'replay' ? 'in_flight' : 'completed',
        response_status: null,
        response_headers: null,
        response_body: null,
        created_at: now.toISOString(),
        expires_at: new Date(now.getTime() + RETENTION_MS).toISOString(),
      })
      .onConflict((oc) => oc.columns(['api_key_id', 'route', 'idempotency_key']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return null;

    const existing = await db.selectFrom('idempotency_records').selectAll().where(matchesKey(key)).executeTakeFirst();
    if (!existing) continue; // deleted between our insert and read (a 5xx released it): try again
    if (existing.expires_at <= now.toISOString()) {
      await db
        .deleteFrom('idempotency_records')
        .where(matchesKey(key))
        .where('expires_at', '=', existing.expires_at)
        .execute();
      continue;
    }
    const abandoned =
      existing.state === 'in_flight' && now.getTime() - Date.parse(existing.created_at) > ABANDONED_CLAIM_MS;
    if (abandoned && existing.request_hash === requestHash) {
      const taken = await db
        .updateTable('idempotency_records')
        .set({ created_at: now.toISOString() })
        .where(matchesKey(key))
        .where('created_at', '=', existing.created_at)
        .executeTakeFirst();
      if (Number(taken.numUpdatedRows) > 0) return null;
      continue;
    }
    return existing;
  }
  throw new ApiError(409, 'CONFLICT', 'A request with this Idempotency-Key is still in progress.', { currentStatus: 'in_flight' });
}

function matchesKey(key: RecordKey) {
  return (eb: ExpressionBuilder<Database, 'idempotency_records'>) =>
    eb.and({ api_key_id: key.api_key_id, route: key.route, idempotency_key: key.idempotency_key });
}
