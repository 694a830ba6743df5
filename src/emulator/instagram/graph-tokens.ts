import type { FastifyInstance } from 'fastify';
import type { InstagramConfig } from './config.ts';
import { firstValue, toFormValues } from '../form-values.ts';
import type { FormValues } from '../form-values.ts';
import type { EmulatorState } from '../state.ts';
import type { IssuedToken } from '../token-ledger.ts';
import { graphError, graphFaultBody } from './errors.ts';
import { authenticateGraphToken } from './graph-auth.ts';
import { mintInstagramToken } from './mint-token.ts';

type GraphOutcome = { ok: true; body: object } | { ok: false; body: object };

const MINIMUM_REFRESH_AGE_MS = 24 * 60 * 60 * 1000;
const BASIC_PERMISSION = 'instagram_business_basic';

function issueLongLived(previous: IssuedToken, state: EmulatorState, config: InstagramConfig): GraphOutcome {
  const issued = state.tokens.issue(previous.grant, 'long_lived', mintInstagramToken(), config.longLivedTtlSeconds);
  return {
    ok: true,
    body: { access_token: issued.token, token_type: 'bearer', expires_in: state.tokens.remainingSeconds(issued) },
  };
}

/** Short-lived → long-lived (`grant_type=ig_exchange_token`). */
function exchangeForLongLived(query: FormValues, state: EmulatorState, config: InstagramConfig): GraphOutcome {
  if (firstValue(query, 'grant_type') !== 'ig_exchange_token') {
    return { ok: false, body: graphError(100, 'Unsupported grant_type, expected ig_exchange_token') };
  }
  if (firstValue(query, 'client_secret') !== config.clientSecret) {
    return { ok: false, body: graphError(1, 'Error validating client secret.') };
  }
  const authentication = authenticateGraphToken(state, firstValue(query, 'access_token') ?? '');
  if (!authentication.ok) return authentication;
  if (authentication.token.kind !== 'short_lived') {
    return { ok: false, body: graphError(100, '(#100) Only short-lived access tokens can be exchanged') };
  }
  state.tokens.markReplaced(authentication.token, 'exchanged');
  return issueLongLived(authentication.token, state, config);
}

/** Long-lived → new long-lived (`grant_type=ig_refresh_token`): only once it is a day old and alive. */
function refreshLongLived(query: FormValues, state: EmulatorState, config: InstagramConfig): GraphOutcome {
  if (firstValue(query, 'grant_type') !== 'ig_refresh_token') {
    return { ok: false, body: graphError(100, 'Unsupported grant_type, expected ig_refresh_token') };
  }
  const authentication = authenticateGraphToken(state, firstValue(query, 'access_token') ?? '');
  if (!authentication.ok) return authentication;
  const token = authentication.token;
  if (token.kind !== 'long_lived') {
    return { ok: false, body: graphError(100, '(#100) Only long-lived access tokens can be refreshed') };
  }
  if (!token.grant.scopes.includes(BASIC_PERMISSION)) {
    return { ok: false, body: graphError(10, '(#10) Application does not have permission for this action') };
  }
  if (state.clock.now() - token.issuedAt < MINIMUM_REFRESH_AGE_MS) {
    return { ok: false, body: graphError(100, '(#100) The access token can only be refreshed once it is at least 24 hours old') };
  }
  return issueLongLived(token, state, config);
}

/** `GET /access_token` and `GET /refresh_access_token` of graph.instagram.com, under `host`. */
export function registerInstagramGraphTokenRoutes(
  scope: FastifyInstance,
  host: string,
  state: EmulatorState,
  config: InstagramConfig,
): void {
  scope.get(`${host}/access_token`, async (request, reply) => {
    const fault = state.faults.take('instagram', 'exchange');
    if (fault) return reply.code(fault.status).send(fault.body ?? graphFaultBody(fault.status));
    const outcome = exchangeForLongLived(toFormValues(request.query), state, config);
    return reply.code(outcome.ok ? 200 : 400).send(outcome.body);
  });

  scope.get(`${host}/refresh_access_token`, async (request, reply) => {
    const fault = state.faults.take('instagram', 'refresh');
    if (fault) return reply.code(fault.status).send(fault.body ?? graphFaultBody(fault.status));
    const outcome = refreshLongLived(toFormValues(request.query), state, config);
    return reply.code(outcome.ok ? 200 : 400).send(outcome.body);
  });
}
