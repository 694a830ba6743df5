import { randomInt } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { TikTokConfig } from './config.ts';
import { firstValue, toFormValues } from '../form-values.ts';
import type { FormValues } from '../form-values.ts';
import { randomAlphanumeric } from '../random-token.ts';
import type { EmulatorState } from '../state.ts';
import type { Grant } from '../token-ledger.ts';
import { tiktokOAuthError, tiktokOAuthFaultBody } from './errors.ts';
import { verifyPkce } from './pkce.ts';

type TokenOutcome = { ok: true; body: object } | { ok: false; error: string; description: string };

interface OAuthDependencies {
  state: EmulatorState;
  config: TikTokConfig;
}

const CODE_VERIFIER_INVALID = 'Code verifier or code challenge is invalid.';
const REFRESH_TOKEN_INVALID = 'Refresh token is invalid or expired.';
const CODE_REJECTIONS = {
  unknown: 'Authorization code is invalid.',
  used: 'Authorization code has already been used.',
  expired: 'Authorization code is expired.',
} as const;

function missing(parameter: string): TokenOutcome {
  return { ok: false, error: 'invalid_request', description: `The request is missing a required parameter: ${parameter}.` };
}

/** Shaped like TikTok's `act.…!1234.va` / `rft.…` tokens; the `!` must survive form encoding. */
function mintToken(prefix: 'act' | 'rft'): string {
  return `${prefix}.${randomAlphanumeric(56)}!${randomInt(1000, 10000)}.va`;
}

function clientAuthenticated(form: FormValues, config: TikTokConfig): boolean {
  return firstValue(form, 'client_key') === config.clientKey && firstValue(form, 'client_secret') === config.clientSecret;
}

/** Issues a fresh access + refresh token pair for the grant, in TikTok's flat response shape. */
function issueTokens(grant: Grant, { state, config }: OAuthDependencies): TokenOutcome {
  const access = state.tokens.issue(grant, 'access', mintToken('act'), config.accessTokenTtlSeconds);
  const refresh = state.tokens.issue(grant, 'refresh', mintToken('rft'), config.refreshTokenTtlSeconds);
  return {
    ok: true,
    body: {
      access_token: access.token,
      expires_in: state.tokens.remainingSeconds(access),
      open_id: grant.userId,
      refresh_expires_in: state.tokens.remainingSeconds(refresh),
      refresh_token: refresh.token,
      scope: grant.scopes.join(','),
      token_type: 'Bearer',
    },
  };
}

function redeemCode(form: FormValues, deps: OAuthDependencies): TokenOutcome {
  const { state, config } = deps;
  const code = firstValue(form, 'code');
  if (code === undefined) return missing('code');
  const lookup = state.codes.lookup('tiktok', code);
  if (!lookup.ok) return { ok: false, error: 'invalid_grant', description: CODE_REJECTIONS[lookup.reason] };
  const authorization = lookup.code;
  if (firstValue(form, 'redirect_uri') !== authorization.redirectUri) {
    return { ok: false, error: 'invalid_grant', description: 'redirect_uri does not match the one used at authorization.' };
  }
  const pkce = verifyPkce(config.pkceMode, authorization.codeChallenge, firstValue(form, 'code_verifier'));
  if (pkce === 'missing_verifier') return { ok: false, error: 'invalid_request', description: CODE_VERIFIER_INVALID };
  if (pkce === 'mismatch') return { ok: false, error: 'invalid_grant', description: CODE_VERIFIER_INVALID };
  state.codes.consume(authorization);
  const { platform, clientId, username, userId, scopes } = authorization;
  return issueTokens({ platform, clientId, username, userId, scopes }, deps);
}

/** Refresh with strict rotation: the presented refresh token dies as the new one is issued. */
function refresh(form: FormValues, deps: OAuthDependencies): TokenOutcome {
  const token = firstValue(form, 'refresh_token');
  if (token === undefined) return missing('refresh_token');
  const issued = deps.state.tokens.find('tiktok', token);
  if (issued?.kind !== 'refresh' || deps.state.tokens.stateOf(issued) !== 'active') {
    return { ok: false, error: 'invalid_grant', description: REFRESH_TOKEN_INVALID };
  }
  deps.state.tokens.markReplaced(issued, 'rotated');
  return issueTokens(issued.grant, deps);
}

function grantTokens(form: FormValues, deps: OAuthDependencies): TokenOutcome {
  if (!clientAuthenticated(form, deps.config)) {
    return { ok: false, error: 'invalid_client', description: 'Client key or secret is incorrect.' };
  }
  const grantType = firstValue(form, 'grant_type');
  if (grantType === undefined) return missing('grant_type');
  if (grantType === 'authorization_code') return redeemCode(form, deps);
  if (grantType === 'refresh_token') return refresh(form, deps);
  return { ok: false, error: 'unsupported_grant_type', description: `Grant type ${grantType} is not supported.` };
}

/** `POST /v2/oauth/token/` and `POST /v2/oauth/revoke/` of open.tiktokapis.com, under `host`. */
export function registerTikTokOAuthRoutes(scope: FastifyInstance, host: string, deps: OAuthDependencies): void {
  const { state, config } = deps;

  scope.post(`${host}/v2/oauth/token/`, async (request, reply) => {
    const now = state.clock.now();
    const form = toFormValues(request.body);
    const fault = state.faults.take('tiktok', firstValue(form, 'grant_type') === 'refresh_token' ? 'refresh' : 'token');
    if (fault) return reply.code(fault.status).send(fault.body ?? tiktokOAuthFaultBody(fault.status, now));
    const outcome = grantTokens(form, deps);
    if (!outcome.ok) return reply.code(400).send(tiktokOAuthError(outcome.error, outcome.description, now));
    return reply.header('cache-control', 'no-store').send(outcome.body);
  });

  scope.post(`${host}/v2/oauth/revoke/`, async (request, reply) => {
    const now = state.clock.now();
    const form = toFormValues(request.body);
    const fault = state.faults.take('tiktok', 'revoke');
    if (fault) return reply.code(fault.status).send(fault.body ?? tiktokOAuthFaultBody(fault.status, now));
    if (!clientAuthenticated(form, config)) {
      return reply.code(400).send(tiktokOAuthError('invalid_client', 'Client key or secret is incorrect.', now));
    }
    const token = firstValue(form, 'token');
    if (token === undefined) {
      return reply.code(400).send(tiktokOAuthError('invalid_request', 'The request is missing a required parameter: token.', now));
    }
    // Like RFC 7009, an unknown or already dead token is not an error: the outcome is the same.
    const issued = state.tokens.find('tiktok', token);
    if (issued) state.tokens.revokeGrant(issued.grant);
    return reply.send({});
  });
}
