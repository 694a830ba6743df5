import type { FastifyInstance } from 'fastify';
import type { Insertable, Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { AuditLogTable, Database } from '../db/schema.ts';
import { sharedPerTurn } from '../db/shared-reads.ts';
import { newUlidId, parsePathId } from '../ids.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** A handler that creates a project names it here, since the URL cannot. */
    auditProjectId: string | null;
  }
}

type AuditRow = Insertable<AuditLogTable>;

/** Rows one statement carries at most (9 parameters each, far below either engine's limit). */
const ROWS_PER_STATEMENT = 256;

/**
 * The audit rows of one turn of the event loop, written in one statement once the turn's callbacks
 * have run (src/db/shared-reads.ts, `sharedPerTurn`); each caller learns when its row is written.
 * A write request's own commit is most of its cost on SQLite (about 70 µs: a WAL frame per page
 * the row touches), and one round trip on Postgres, so a turn's rows cost one of each instead of
 * one per request (docs/performance.md, "Fifth round": audit rows).
 */
function auditWriter(db: Kysely<Database>): (row: AuditRow) => Promise<unknown> {
  return sharedPerTurn(async (rows: readonly AuditRow[]) => {
    for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
      await db.insertInto('audit_log').values(rows.slice(start, start + ROWS_PER_STATEMENT)).execute();
    }
    return new Map<AuditRow, never>();
  });
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Records every mutating request of an authenticated caller, accepted or refused, once its
 * response has gone out: who (key, organization), what (method and route template, never the
 * raw path, which a caller could make arbitrarily long), on which project, with what status.
 * Requests that fail authentication write nothing, so no anonymous caller can fill the disk;
 * rows older than AUDIT_RETENTION_DAYS are purged by housekeeping (docs/security.md).
 */
export function installAuditLog(app: FastifyInstance, deps: { db: Kysely<Database>; clock: Clock }): void {
  app.decorateRequest('auditProjectId', null);
  const record = auditWriter(deps.db);
  app.addHook('onResponse', async (request, reply) => {
    const principal = request.principal;
    const route = request.routeOptions.url;
    if (!principal || route === undefined || READ_METHODS.has(request.method)) return;
    const params = (request.params ?? {}) as Record<string, string | undefined>;
    const projectId = request.auditProjectId ?? (params.projectId ? parsePathId(params.projectId, 'prj') : null);
    try {
      await record({
        id: newUlidId('aud'),
        at: deps.clock.now().toISOString(),
        request_id: request.id,
        api_key_id: principal.apiKeyId,
        organization_id: principal.organizationId,
        project_id: projectId,
        method: request.method,
        route,
        status_code: reply.statusCode,
      });
    } catch (error) {
      request.log.error({ err: error }, 'could not write the audit log');
    }
  });
}
