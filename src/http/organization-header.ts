import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.ts';
import { parsePathId } from '../ids.ts';
import { principalOf } from './access.ts';
import { hookRoutes } from './route-hooks.ts';

/**
 * `X-Layers-Organization`, which Layers' own clients send when asked to act for an organization.
 * Here a key acts only for its own organization: the header is accepted when it names that one
 * (prefixed or bare id), and any other value is an organization this key cannot see (404, like
 * every cross-tenant lookup). Checked where the contract puts 404s: after the body is validated,
 * before idempotency claims a key.
 */
export function installOrganizationHeader(app: FastifyInstance): void {
  hookRoutes(app, (route) => route.config?.access !== undefined, {
    // A callback, not an async function: nothing here waits, and most requests send no such header.
    preHandler(request, _reply, done) {
      const header = request.headers['x-layers-organization'];
      if (header === undefined) return done();
      const named = Array.isArray(header) ? header.join(',') : header;
      if (parsePathId(named.trim(), 'org') === principalOf(request).organizationId) return done();
      done(new ApiError(404, 'NOT_FOUND', `Organization "${named.slice(0, 64)}" was not found: this API key acts only for its own organization.`));
    },
  });
}
