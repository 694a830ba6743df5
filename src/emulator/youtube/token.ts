import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { YouTubeConfig } from './config.ts';
import { firstValue, toFormValues } from '../form-values.ts';
import type { FormValues } from '../form-values.ts';
import { randomAlphanumeric } from '../random-token.ts';
import type { EmulatorState } from '../state.ts';
import type { Grant } from '../token-ledger.ts';
import { googleOAuthError, oauthFaultBody } from './errors.ts';

type TokenOutcome = { ok: true; body: object } | { ok: false; status: number; error: string; description: string };

interface OAuthDependencies {
  state: EmulatorState;
  config: YouTubeConfig;
}

const EXPIRED_OR_REVOKED = 'Token has been expired or revoked.';

function rejected(error: string, description: string, status = 400): TokenOutcome {
  return { ok: false, status, error, description };
}

/** `ya29.…` access tokens and `1//…` refresh tokens, shaped like Google's. */
function mintToken(kind: 'access' | 'refresh'): string {
  return kind === 'access' ? `ya29.a0${randomAlphanumeric(150)}` : `1//0${randomAlphanumeric(100)}`;
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** An access token for the grant, with a refresh token when one is due: Google's flat answer. */
function issueTokens(grant: Grant, withRefreshToken: boolean, { state, config }: OAuthDependencies): TokenOutcome {
  const access = state.tokens.issue(grant, 'access', mintToken('access'), config.accessTokenTtlSeconds);
  const refresh = withRefreshToken ? state.tokens.issue(grant, 'refresh', mintToken('refresh'), config.refreshTokenIdleSeconds) : null;
  return {
    ok: true,
    body: {
      access_token: access.token,
      expires_in: state.tokens.remainingSeconds(access),
      ...(refresh === null ? {} : { refresh_token: refresh.token }),
      scope: grant.scopes.join(' '),
      token_type: 'Bearer',
    },
  };
}

function redeemCode(form: FormValues, clientId: string, deps: OAuthDependencies): TokenOutcome {
  const code = firstValue(form, 'code');
  if (code === undefined) return rejected('invalid_request', 'Missing required parameter: code');
  const lookup = deps.state.codes.lookup('youtube', code);
  if (!lookup.ok) return rejected('invalid_grant', lookup.reason === 'expired' ? EXPIRED_OR_REVOKED : 'Malformed auth code.');
  const authorization = lookup.code;
  if (authorization.clientId !== clientId) return rejected('invalid_grant', 'Unauthorized');
  if (firstValue(form, 'redirect_uri') !== authorization.redirectUri) return rejected('redirect_uri_mismatch', 'Bad Request');
  const verifier = firstValue(form, 'code_verifier');
  if (authorization.codeChallenge === undefined && verifier !== undefined) return rejected('invalid_grant', 'code_verifier or verifier is not needed.');
  if (authorization.codeChallenge !== undefined && verifier === undefined) return rejected('invalid_grant', 'Missing code verifier.');
  if (authorization.codeChallenge !== undefined && s256(verifier ?? '') !== authorization.codeChallenge) return rejected('invalid_grant', 'Invalid code verifier.');
  deps.state.codes.consume(authorization);
  const { platform, username, userId, scopes } = authorization;
  // With prompt=consent every offline consent gets a new refresh token (docs/platforms/youtube.md).
  return issueTokens({ platform, clientId, username, userId, scopes }, authorization.offlineAccess === true, deps);
}

/** Google refresh tokens do not rotate: the answer carries a new access token only, and the refresh token stays. */
function refresh(form: FormValues, clientId: string, deps: OAuthDependencies): TokenOutcome {
  const { state, config } = deps;
  const token = firstValue(form, 'refresh_token');
  if (token === undefined) return rejected('invalid_request', 'Missing required parameter: refresh_token');
  const issued = state.tokens.find('youtube', token);
  if (issued?.kind !== 'refresh' || issued.grant.clientId !== clientId || state.tokens.stateOf(issued) !== 'active') {
    return rejected('invalid_grant', EXPIRED_OR_REVOKED);
  }
  // Use keeps a refresh token alive: it dies after six months without one.
  issued.expiresAt = state.clock.now() + config.refreshTokenIdleSeconds * 1000;
  return issueTokens(issued.grant, false, deps);
}

function grantTokens(form: FormValues, deps: OAuthDependencies): TokenOutcome {
  const clientId = firstValue(form, 'client_id');
  if (clientId !== deps.config.clientId || firstValue(form, 'client_secret') !== deps.config.clientSecret) {
    return rejected('invalid_client', 'Unauthorized', 401);
  }
  const grantType = firstValue(form, 'grant_type');
  if (grantType === 'authorization_code') return redeemCode(form, clientId, deps);
  if (grantType === 'refresh_token') return refresh(form, clientId, deps);
  return rejected('unsupported_grant_type', `Invalid grant_type: ${grantType ?? ''}`);
}

/** `POST /token` and `POST /revoke` of oauth2.googleapis.com, under `host`. */
export function registerGoogleOAuthRoutes(scope: FastifyInstance, host: string, deps: OAuthDependencies): void {
  const { state } = deps;

  scope.post(`${host}/token`, async (request, reply) => {
    const form = toFormValues(request.body);
    const fault = state.faults.take('youtube', firstValue(form, 'grant_type') === 'refresh_token' ? 'refresh' : 'token');
    if (fault) return reply.code(fault.status).send(fault.body ?? oauthFaultBody(fault.status));
    const outcome = grantTokens(form, deps);
    if (!outcome.ok) return reply.code(outcome.status).send(googleOAuthError(outcome.error, outcome.description));
    return reply.header('cache-control', 'no-cache, no-store, max-age=0, must-revalidate').send(outcome.body);
  });

  // Either token may be revoked, without client credentials; revoking ends the person's whole grant to the app.
  scope.post(`${host}/revoke`, async (request, reply) => {
    const fault = state.faults.take('youtube', 'revoke');
    if (fault) return reply.code(fault.status).send(fault.body ?? oauthFaultBody(fault.status));
    const token = firstValue(toFormValues(request.body), 'token') ?? firstValue(toFormValues(request.query), 'token');
    const issued = token === undefined ? undefined : state.tokens.find('youtube', token);
    const alive = issued !== undefined && (issued.kind === 'refresh' ? state.tokens.stateOf(issued) === 'active' : state.tokens.isUsable(issued));
    // Unlike RFC 7009, an unknown or already dead token is an error here.
    if (!alive) return reply.code(400).send(googleOAuthError('invalid_token', 'Token expired or revoked'));
    state.tokens.revokeUser('youtube', issued.grant.username);
    return reply.send({});
  });
}
