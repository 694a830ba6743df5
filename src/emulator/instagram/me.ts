import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { avatarUrl } from '../avatar.ts';
import { bearerToken } from '../bearer.ts';
import { firstValue, toFormValues } from '../form-values.ts';
import type { EmulatorState } from '../state.ts';
import { instagramAppScopedId } from './ids.ts';
import { displayNameFor } from '../users.ts';
import { graphError, graphFaultBody } from './errors.ts';
import { authenticateGraphToken } from './graph-auth.ts';

/** Graph spells the emulator's CREATOR accounts `MEDIA_CREATOR`. */
const GRAPH_ACCOUNT_TYPES: Record<string, string> = {
  BUSINESS: 'BUSINESS',
  CREATOR: 'MEDIA_CREATOR',
  PERSONAL: 'PERSONAL',
};

const GRAPH_VERSION = /^v\d+(\.\d+)?$/;

/** `GET /me` and `GET /v{N}/me` of graph.instagram.com, under `host`. */
export function registerInstagramMeRoutes(
  scope: FastifyInstance,
  host: string,
  state: EmulatorState,
  publicBaseUrl: string | undefined,
): void {
  async function me(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const fault = state.faults.take('instagram', 'me');
    if (fault) return reply.code(fault.status).send(fault.body ?? graphFaultBody(fault.status));

    const query = toFormValues(request.query);
    const token = bearerToken(request) ?? firstValue(query, 'access_token');
    if (token === undefined) {
      return reply
        .code(400)
        .send(graphError(2500, 'An active access token must be used to query information about the current user.'));
    }
    const authentication = authenticateGraphToken(state, token);
    if (!authentication.ok) return reply.code(400).send(authentication.body);
    const { grant } = authentication.token;
    const user = state.users.ensure('instagram', grant.username);

    const available: Record<string, unknown> = {
      id: instagramAppScopedId(user.username),
      user_id: user.userId,
      username: user.username,
      name: displayNameFor(user.username),
      account_type: GRAPH_ACCOUNT_TYPES[user.accountType] ?? user.accountType,
      profile_picture_url: avatarUrl(request, publicBaseUrl, 'instagram', user.userId),
      followers_count: user.followers,
      follows_count: 0,
      media_count: state.published.visible('instagram', user.username, state.clock.now()).length,
    };
    const requested = (firstValue(query, 'fields') ?? '').split(',').map((field) => field.trim()).filter(Boolean);
    const unknown = requested.find((field) => !Object.hasOwn(available, field));
    if (unknown !== undefined) {
      return reply.code(400).send(graphError(100, `(#100) Tried accessing nonexisting field (${unknown}) on node type (User)`));
    }
    // Graph always includes `id`, then exactly the requested fields.
    const fields = ['id', ...requested.filter((field) => field !== 'id')];
    return reply.send(Object.fromEntries(fields.map((field) => [field, available[field]])));
  }

  scope.get(`${host}/me`, me);
  scope.get<{ Params: { version: string } }>(`${host}/:version/me`, async (request, reply) => {
    if (!GRAPH_VERSION.test(request.params.version)) return reply.callNotFound();
    return me(request, reply);
  });
}
