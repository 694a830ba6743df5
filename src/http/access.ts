import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { authenticate, type ApiKeyHashKeys, type Principal } from '../api-keys/authenticate.ts';
import { keyHasScope, type Scope } from '../api-keys/scopes.ts';
import type { EndpointClass } from '../api-keys/tiers.ts';
import type { Database } from '../db/schema.ts';
import { ApiError } from '../errors.ts';
import type { RateLimiter } from './rate-limit.ts';

/** What a `/v1` route declares about who may call it (route `config.access`). */
export interface RouteAccess {
  /** The scope a key must hold; null for routes every key may call (whoami, killing its own org's keys). */
  scope: Scope | null;
  endpointClass: EndpointClass;
  /** oauth-url and reauth-url detect reused keys but never replay (docs/reference/conventions.md, "Idempotency"). */
  idempotency?: 'replay' | 'detect-conflicts';
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** The authenticated caller of a route that declares `config.access`. */
export function principalOf(request: { principal: Principal | null }): Principal {
  if (!request.principal) throw new Error('principalOf() called on a route without config.access');
  return request.principal;
}

/**
 * Runs in onRequest, before the body is read, in the order of docs/reference/conventions.md ("The order of checks"):
 * authenticate (401) → kill switch (503) → scope (403) → rate limit (429).
 */
export function installAccessControl(app: FastifyInstance, deps: { db: Kysely<Database>; apiKeyHashKeys: ApiKeyHashKeys; rateLimiter: RateLimiter }): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request, reply) => {
    const access = request.routeOptions.config.access;
    if (!access) return;
    const principal = await authenticate(deps.db, deps.apiKeyHashKeys, request.headers.authorization);
    request.principal = principal;
    if (access.scope && !keyHasScope(principal.scopes, access.scope)) {
      throw new ApiError(403, 'FORBIDDEN_SCOPE', `This API key lacks the "${access.scope}" scope.`, {
        requiredScope: access.scope,
      });
    }
    const budget = await deps.rateLimiter.consume(principal.apiKeyId, principal.tier, access.endpointClass);
    reply.headers({
      'x-ratelimit-endpoint-class': access.endpointClass,
      'x-ratelimit-limit': budget.limit,
      'x-ratelimit-remaining': budget.remaining,
      'x-ratelimit-reset': budget.resetSeconds,
    });
    if (!budget.allowed) {
      reply.header('retry-after', budget.resetSeconds);
      throw new ApiError(429, 'RATE_LIMITED', `Rate limit for "${access.endpointClass}" requests exceeded; retry in ${budget.resetSeconds} s.`, {
        endpointClass: access.endpointClass,
        retryAfterSeconds: budget.resetSeconds,
      });
    }
  });
}
