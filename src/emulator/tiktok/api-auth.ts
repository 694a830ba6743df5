import type { FastifyRequest } from 'fastify';
import { bearerToken } from '../bearer.ts';
import type { EmulatorState } from '../state.ts';
import type { Grant } from '../token-ledger.ts';
import { tiktokApiError } from './errors.ts';

export type TikTokApiAuthentication = { ok: true; grant: Grant } | { ok: false; status: number; body: object };

/**
 * Checks a v2 API call's `Authorization: Bearer act.…` the way TikTok does: 401
 * `access_token_invalid` for an unknown, expired or revoked token; 401 `scope_not_authorized` when
 * the grant has none of `anyOfScopes` (an empty list asks for no scope).
 */
export function authenticateTikTokApi(state: EmulatorState, request: FastifyRequest, anyOfScopes: readonly string[]): TikTokApiAuthentication {
  const now = state.clock.now();
  const token = bearerToken(request);
  const issued = token === undefined ? undefined : state.tokens.find('tiktok', token);
  if (issued?.kind !== 'access' || !state.tokens.isUsable(issued)) {
    return { ok: false, status: 401, body: tiktokApiError('access_token_invalid', 'The access token is invalid or not found in the request.', now) };
  }
  if (anyOfScopes.length > 0 && !anyOfScopes.some((scope) => issued.grant.scopes.includes(scope))) {
    return {
      ok: false,
      status: 401,
      body: tiktokApiError('scope_not_authorized', 'The user did not authorize the scope required for completing this request.', now),
    };
  }
  return { ok: true, grant: issued.grant };
}
