import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.ts';
import { parsePathId } from '../ids.ts';
import { principalOf } from './access.ts';

/**
 * `X-Layers-Organization`, which Layers' own clients send when asked to act for an organization.
 * Here a key acts only for its own organization: the header is accepted when it names that one
 * (prefixed or bare id), and any other value is an organization this key cannot see (404, like
 * every cross-tenant lookup). Checked where the contract puts 404s: after the body is validated,
 * before idempotency claims a key.
 */
export function installOrganizationHeader(app: FastifyInstance): void {
  app.addHook('preHandler', async (request) => {
    const header = request.headers['x-layers-organization'];
    if (header === undefined || !request.routeOptions.config.access) return;
    const named = Array.isArray(header) ? header.join(',') : header;
    const { organizationId } = principalOf(request);
    if (parsePathId(named.trim(), 'org') === organizationId) return;
    throw new ApiError(404, 'NOT_FOUND', `Organization "${named.slice(0, 64)}" was not found: this API key acts only for its own organization.`);
  });
}
