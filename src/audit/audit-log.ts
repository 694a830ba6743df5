import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { AuditLogTable, Database } from '../db/schema.ts';
import { preparedInsert } from '../db/prepared-query.ts';
import { insertsPerTurn } from '../db/writes-per-turn.ts';
import { hookRoutes, isAuthenticatedWrite } from '../http/route-hooks.ts';
import { newUlidId, parsePathId } from '../ids.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** A handler that creates a project names it here, since the URL cannot. */
    auditProjectId: string | null;
  }
}

/**
 * The audit rows of one turn of the event loop are written together, after the responses they
 * record (src/db/writes-per-turn.ts): a write request's own commit is most of its cost on SQLite,
 * and one round trip on Postgres (docs/performance.md, "Fifth round": audit rows).
 */
const insertAuditRow = insertsPerTurn<AuditLogTable>({
  one: preparedInsert('audit_log', ['id', 'at', 'request_id', 'api_key_id', 'organization_id', 'project_id', 'method', 'route', 'status_code']),
  many: (db, rows) => db.insertInto('audit_log').values([...rows]).execute(),
});

/**
 * Records every mutating request of an authenticated caller, accepted or refused, once its
 * response has gone out: who (key, organization), what (method and route template, never the
 * raw path, which a caller could make arbitrarily long), on which project, with what status.
 * Requests that fail authentication write nothing, so no anonymous caller can fill the disk;
 * rows older than AUDIT_RETENTION_DAYS are purged by housekeeping (docs/security.md).
 */
export function installAuditLog(app: FastifyInstance, deps: { db: Kysely<Database>; clock: Clock }): void {
  app.decorateRequest('auditProjectId', null);
  hookRoutes(app, isAuthenticatedWrite, {
    async onResponse(request, reply) {
      const principal = request.principal;
      const route = request.routeOptions.url;
      if (!principal || route === undefined) return;
      const params = (request.params ?? {}) as Record<string, string | undefined>;
      const projectId = request.auditProjectId ?? (params.projectId ? parsePathId(params.projectId, 'prj') : null);
      try {
        await insertAuditRow(deps.db, {
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
    },
  });
}
