import type { FastifyInstance } from 'fastify';
import type { InstagramConfig } from './config.ts';
import { firstValue, toFormValues } from '../form-values.ts';
import type { FormValues } from '../form-values.ts';
import type { EmulatorState } from '../state.ts';
import { codeExchangeFaultBody, oauthExceptionError } from './errors.ts';
import { mintInstagramToken } from './mint-token.ts';

type ExchangeOutcome = { ok: true; json: string } | { ok: false; message: string };

const CODE_NOT_FOUND = 'Matching code was not found or was already used';

/**
 * The response is written as JSON text by hand: `user_id` is a bare number above 2^53, exactly as
 * Instagram sends it, which `JSON.stringify` of a JavaScript number could not reproduce.
 */
function shortLivedTokenJson(accessToken: string, userId: string, permissions: string[]): string {
  if (!/^\d+$/.test(userId)) throw new Error(`Instagram user id must be all digits, got ${userId}`);
  return `{"access_token":${JSON.stringify(accessToken)},"user_id":${userId},"permissions":${JSON.stringify(permissions)}}`;
}

function exchangeCode(form: FormValues, state: EmulatorState, config: InstagramConfig): ExchangeOutcome {
  if (firstValue(form, 'client_id') !== config.clientId) return { ok: false, message: 'Invalid platform app' };
  if (firstValue(form, 'client_secret') !== config.clientSecret) return { ok: false, message: 'Error validating client secret.' };
  if (firstValue(form, 'grant_type') !== 'authorization_code') return { ok: false, message: 'Invalid grant_type' };
  const redirectUri = firstValue(form, 'redirect_uri');
  if (redirectUri === undefined) return { ok: false, message: 'Missing required field redirect_uri' };
  // Clients that copy the code straight out of the callback URL may keep Instagram's `#_` suffix.
  const code = firstValue(form, 'code')?.replace(/#_$/, '');
  if (code === undefined) return { ok: false, message: 'Missing required field code' };

  const lookup = state.codes.lookup('instagram', code);
  if (!lookup.ok) {
    return { ok: false, message: lookup.reason === 'expired' ? 'This authorization code has expired.' : CODE_NOT_FOUND };
  }
  const authorization = lookup.code;
  if (authorization.redirectUri !== redirectUri) {
    return {
      ok: false,
      message:
        'Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request',
    };
  }
  state.codes.consume(authorization);
  const { platform, clientId, username, userId, scopes } = authorization;
  const grant = { platform, clientId, username, userId, scopes };
  const issued = state.tokens.issue(grant, 'short_lived', mintInstagramToken(), config.shortLivedTtlSeconds);
  return { ok: true, json: shortLivedTokenJson(issued.token, userId, scopes) };
}

/** `POST /oauth/access_token` of api.instagram.com, under `host`. */
export function registerInstagramCodeExchangeRoute(
  scope: FastifyInstance,
  host: string,
  state: EmulatorState,
  config: InstagramConfig,
): void {
  scope.post(`${host}/oauth/access_token`, async (request, reply) => {
    const fault = state.faults.take('instagram', 'token');
    if (fault) return reply.code(fault.status).send(fault.body ?? codeExchangeFaultBody(fault.status));
    const outcome = exchangeCode(toFormValues(request.body), state, config);
    if (!outcome.ok) return reply.code(400).send(oauthExceptionError(outcome.message));
    return reply.type('application/json; charset=utf-8').send(outcome.json);
  });
}
