import type { FastifyInstance, FastifyRequest } from 'fastify';
import { avatarUrl } from '../avatar.ts';
import { bearerToken } from '../bearer.ts';
import { firstValue, toFormValues } from '../form-values.ts';
import type { EmulatorState } from '../state.ts';
import type { Grant } from '../token-ledger.ts';
import { tiktokUnionId } from './ids.ts';
import { displayNameFor } from '../users.ts';
import { tiktokApiError, tiktokApiFaultBody, tiktokLogId } from './errors.ts';

/** Scope each user-info field needs (docs/platforms/tiktok.md; `username` moved to user.info.profile in 2024). */
const FIELD_SCOPES = new Map<string, string>([
  ['open_id', 'user.info.basic'],
  ['union_id', 'user.info.basic'],
  ['avatar_url', 'user.info.basic'],
  ['avatar_url_100', 'user.info.basic'],
  ['avatar_large_url', 'user.info.basic'],
  ['display_name', 'user.info.basic'],
  ['bio_description', 'user.info.profile'],
  ['profile_deep_link', 'user.info.profile'],
  ['is_verified', 'user.info.profile'],
  ['username', 'user.info.profile'],
  ['follower_count', 'user.info.stats'],
  ['following_count', 'user.info.stats'],
  ['likes_count', 'user.info.stats'],
  ['video_count', 'user.info.stats'],
]);

function allFields(grant: Grant, avatar: string): Record<string, unknown> {
  return {
    open_id: grant.userId,
    union_id: tiktokUnionId(grant.username),
    avatar_url: avatar,
    avatar_url_100: avatar,
    avatar_large_url: avatar,
    display_name: displayNameFor(grant.username),
    bio_description: '',
    profile_deep_link: `https://www.tiktok.com/@${grant.username}`,
    is_verified: false,
    username: grant.username,
    follower_count: 0,
    following_count: 0,
    likes_count: 0,
    video_count: 0,
  };
}

function requestedFields(request: FastifyRequest): string[] {
  const fields = firstValue(toFormValues(request.query), 'fields') ?? '';
  return fields.split(',').map((field) => field.trim()).filter((field) => field.length > 0);
}

/** `GET /v2/user/info/` of open.tiktokapis.com, under `host`. */
export function registerTikTokUserInfoRoute(
  scope: FastifyInstance,
  host: string,
  state: EmulatorState,
  publicBaseUrl: string | undefined,
): void {
  scope.get(`${host}/v2/user/info/`, async (request, reply) => {
    const now = state.clock.now();
    const fault = state.faults.take('tiktok', 'userinfo');
    if (fault) return reply.code(fault.status).send(fault.body ?? tiktokApiFaultBody(fault.status, now));

    const token = bearerToken(request);
    const issued = token === undefined ? undefined : state.tokens.find('tiktok', token);
    if (issued?.kind !== 'access' || !state.tokens.isUsable(issued)) {
      return reply
        .code(401)
        .send(tiktokApiError('access_token_invalid', 'The access token is invalid or not found in the request.', now));
    }
    const fields = requestedFields(request);
    if (fields.length === 0) return reply.code(400).send(tiktokApiError('invalid_params', 'fields is required.', now));
    const unknown = fields.filter((field) => !FIELD_SCOPES.has(field));
    if (unknown.length > 0) {
      return reply.code(400).send(tiktokApiError('invalid_params', `Invalid fields: ${unknown.join(',')}`, now));
    }
    const unauthorized = fields.filter((field) => !issued.grant.scopes.includes(FIELD_SCOPES.get(field) ?? ''));
    if (unauthorized.length > 0) {
      return reply
        .code(401)
        .send(tiktokApiError('scope_not_authorized', 'The user did not authorize the scope required for completing this request.', now));
    }

    const available = allFields(issued.grant, avatarUrl(request, publicBaseUrl, 'tiktok', issued.grant.userId));
    const user = Object.fromEntries(fields.map((field) => [field, available[field]]));
    return reply.send({ data: { user }, error: { code: 'ok', message: '', log_id: tiktokLogId(now) } });
  });
}
