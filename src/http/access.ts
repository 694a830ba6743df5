import type { FastifyInstance } from 'fastify';
import type { Authenticator, Principal } from '../api-keys/authenticate.ts';
import { keyHasScope, type Scope } from '../api-keys/scopes.ts';
import type { EndpointClass } from '../api-keys/tiers.ts';
import { ApiError } from '../errors.ts';
import { sendError } from './error-handler.ts';
import type { AddressClass, RateLimitDecision, RateLimiter } from './rate-limit.ts';

/** What a `/v1` route declares about who may call it (route `config.access`). */
export interface RouteAccess {
  /** The scope a key must hold; null for routes every key may call (whoami; kill and retire, which ask keys:write only for another key). */
  scope: Scope | null;
  endpointClass: EndpointClass;
  /** oauth-url and reauth-url detect reused keys but never replay (docs/reference/conventions.md, "Idempotency"). */
  idempotency?: 'replay' | 'detect-conflicts';
}

/**
 * What a route without authentication declares (route `config.unauthenticated`); a route that
 * declares neither this nor `access` (health, docs, media, unmatched paths) is a `public` one.
 */
export interface UnauthenticatedRoute {
  addressClass: AddressClass;
  /** Browser-facing routes answer a refusal with this page instead of JSON. */
  errorPage?: (message: string) => string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
    unauthenticated?: UnauthenticatedRoute;
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
 * Routes without authentication spend a budget of their client's address instead
 * (docs/security.md): nothing anyone can reach is unlimited.
 */
export function installAccessControl(app: FastifyInstance, deps: { authenticate: Authenticator; rateLimiter: RateLimiter }): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request, reply) => {
    const access = request.routeOptions.config.access;
    if (!access) {
      const route = request.routeOptions.config.unauthenticated ?? { addressClass: 'public' };
      // A socket already gone has no address; such requests share one budget.
      const budget = await deps.rateLimiter.consumeAddress(request.ip ?? 'unknown', route.addressClass);
      if (budget.allowed) return;
      reply.header('retry-after', budget.resetSeconds);
      const refusal = rateLimited(route.addressClass, budget);
      if (route.errorPage) return reply.status(429).type('text/html; charset=utf-8').send(route.errorPage(refusal.message));
      return sendError(request, reply, refusal);
    }
    const principal = await deps.authenticate(request.headers.authorization);
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
      throw rateLimited(access.endpointClass, budget);
    }
  });
}

function rateLimited(budgetClass: EndpointClass | AddressClass, budget: RateLimitDecision): ApiError {
  return new ApiError(429, 'RATE_LIMITED', `Rate limit for "${budgetClass}" requests exceeded; retry in ${budget.resetSeconds} s.`, {
    endpointClass: budgetClass,
    retryAfterSeconds: budget.resetSeconds,
  });
}
