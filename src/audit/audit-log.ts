import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Database } from '../db/schema.ts';
import { newUlidId, parsePathId } from '../ids.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** A handler that creates a project names it here, since the URL cannot. */
    auditProjectId: string | null;
  }
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Records every mutating `/v1` request, accepted or not, once its response has gone out. */
export function installAuditLog(app: FastifyInstance, deps: { db: Kysely<Database>; clock: Clock }): void {
  app.decorateRequest('auditProjectId', null);
  app.addHook('onResponse', async (request, reply) => {
    if (READ_METHODS.has(request.method) || !request.url.startsWith('/v1/')) return;
    const params = (request.params ?? {}) as Record<string, string | undefined>;
    const projectId = request.auditProjectId ?? (params.projectId ? parsePathId(params.projectId, 'prj') : null);
    try {
      await deps.db
        .insertInto('audit_log')
        .values({
          id: newUlidId('aud'),
          at: deps.clock.now().toISOString(),
          request_id: request.id,
          api_key_id: request.principal?.apiKeyId ?? null,
          organization_id: request.principal?.organizationId ?? null,
          project_id: projectId,
          method: request.method,
          route: request.routeOptions.url ?? request.url.split('?')[0] ?? '',
          status_code: reply.statusCode,
        })
        .execute();
    } catch (error) {
      request.log.error({ err: error }, 'could not write the audit log');
    }
  });
}
