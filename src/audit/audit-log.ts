import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Database } from '../db/schema.ts';
import { newUlidId, parsePathId } from '../ids.ts';
import { preparedQuery } from '../db/prepared-query.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** A handler that creates a project names it here, since the URL cannot. */
    auditProjectId: string | null;
  }
}

const insertAuditRow = preparedQuery(
  ['id', 'at', 'requestId', 'apiKeyId', 'organizationId', 'projectId', 'method', 'route', 'statusCode'],
  (db, p) =>
    db.insertInto('audit_log').values({
      id: p('id'),
      at: p('at'),
      request_id: p('requestId'),
      api_key_id: p('apiKeyId'),
      organization_id: p('organizationId'),
      project_id: p('projectId'),
      method: p('method'),
      route: p('route'),
      status_code: p('statusCode'),
    }),
);

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
  app.addHook('onResponse', async (request, reply) => {
    const principal = request.principal;
    const route = request.routeOptions.url;
    if (!principal || route === undefined || READ_METHODS.has(request.method)) return;
    const params = (request.params ?? {}) as Record<string, string | undefined>;
    const projectId = request.auditProjectId ?? (params.projectId ? parsePathId(params.projectId, 'prj') : null);
    try {
      await insertAuditRow(deps.db, {
        id: newUlidId('aud'),
        at: deps.clock.now().toISOString(),
        requestId: request.id,
        apiKeyId: principal.apiKeyId,
        organizationId: principal.organizationId,
        projectId,
        method: request.method,
        route,
        statusCode: reply.statusCode,
      });
    } catch (error) {
      request.log.error({ err: error }, 'could not write the audit log');
    }
  });
}
