import type { FastifyInstance, FastifyRequest } from 'fastify';
import { avatarUrl } from '../avatar.ts';
import { firstValue, toFormValues } from '../form-values.ts';
import type { EmulatorState } from '../state.ts';
import type { Grant } from '../token-ledger.ts';
import { tiktokUnionId } from './ids.ts';
import { displayNameFor } from '../users.ts';
import { authenticateTikTokApi } from './api-auth.ts';
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

/** The counters the profile shows, from what was published through the emulator. */
interface ProfileCounts {
  followers: number;
  videos: number;
  likes: number;
}

function allFields(grant: Grant, avatar: string, counts: ProfileCounts): Record<string, unknown> {
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
    follower_count: counts.followers,
    following_count: 0,
    likes_count: counts.likes,
    video_count: counts.videos,
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

    const auth = authenticateTikTokApi(state, request, []);
    if (!auth.ok) return reply.code(auth.status).send(auth.body);
    const { grant } = auth;
    const fields = requestedFields(request);
    if (fields.length === 0) return reply.code(400).send(tiktokApiError('invalid_params', 'fields is required.', now));
    const unknown = fields.filter((field) => !FIELD_SCOPES.has(field));
    if (unknown.length > 0) {
      return reply.code(400).send(tiktokApiError('invalid_params', `Invalid fields: ${unknown.join(',')}`, now));
    }
    const unauthorized = fields.filter((field) => !grant.scopes.includes(FIELD_SCOPES.get(field) ?? ''));
    if (unauthorized.length > 0) {
      return reply
        .code(401)
        .send(tiktokApiError('scope_not_authorized', 'The user did not authorize the scope required for completing this request.', now));
    }

    const posts = state.published.visible('tiktok', grant.username, now).filter((item) => !item.draft);
    const counts: ProfileCounts = {
      followers: state.users.ensure('tiktok', grant.username).followers,
      videos: posts.length,
      likes: posts.reduce((sum, item) => sum + item.stats.likes, 0),
    };
    const available = allFields(grant, avatarUrl(request, publicBaseUrl, 'tiktok', grant.userId), counts);
    const user = Object.fromEntries(fields.map((field) => [field, available[field]]));
    return reply.send({ data: { user }, error: { code: 'ok', message: '', log_id: tiktokLogId(now) } });
  });
}
