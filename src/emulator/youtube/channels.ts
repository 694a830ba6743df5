import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { avatarUrl } from '../avatar.ts';
import { bearerToken } from '../bearer.ts';
import { firstValue, toFormValues } from '../form-values.ts';
import type { EmulatorState } from '../state.ts';
import { displayNameFor } from '../users.ts';
import { apiFaultBody, authError, badParameter, insufficientPermissions } from './errors.ts';

/** The account types a test can give a user (`POST /_control/users/youtube/:username`); the first is what a consent creates. */
export const YOUTUBE_ACCOUNT_TYPES = ['CHANNEL', 'NO_CHANNEL'] as const;

const GOOGLE_SCOPE = 'https://www.googleapis.com/auth/';
/** channels.list accepts any of these; `youtube.upload` alone is not enough. */
const READ_SCOPES = new Set(['youtube', 'youtube.readonly', 'youtube.force-ssl', 'youtubepartner', 'youtubepartner-channel-audit'].map((scope) => `${GOOGLE_SCOPE}${scope}`));
const FILTERS = ['categoryId', 'forHandle', 'forUsername', 'id', 'managedByMe', 'mine'];

/** A stable stand-in for Google's etags. */
function etag(value: string): string {
  return createHash('sha256').update(value).digest('base64url').slice(0, 27);
}

/** `GET /youtube/v3/channels` of www.googleapis.com, under `host`: only the `mine=true` filter is emulated. */
export function registerYouTubeChannelsRoute(scope: FastifyInstance, host: string, state: EmulatorState, publicBaseUrl: string | undefined): void {
  scope.get(`${host}/youtube/v3/channels`, async (request, reply) => {
    const fault = state.faults.take('youtube', 'channels');
    if (fault) return reply.code(fault.status).send(fault.body ?? apiFaultBody(fault.status));

    const token = bearerToken(request);
    const issued = token === undefined ? undefined : state.tokens.find('youtube', token);
    if (issued?.kind !== 'access' || !state.tokens.isUsable(issued)) return reply.code(401).send(authError());
    if (!issued.grant.scopes.some((granted) => READ_SCOPES.has(granted))) return reply.code(403).send(insufficientPermissions());

    const query = toFormValues(request.query);
    const part = firstValue(query, 'part');
    if (part === undefined) return reply.code(400).send(badParameter('required', 'Required parameter: part', 'part'));
    if (firstValue(query, 'mine') !== 'true') {
      const message = `No filter selected. Expected one of: ${FILTERS.join(', ')}`;
      return reply.code(400).send(badParameter('missingRequiredParameter', message, 'parameters'));
    }

    const user = state.users.ensure('youtube', issued.grant.username);
    const page = { kind: 'youtube#channelListResponse', etag: etag(`${user.userId}:${part}`) };
    // A Google account without a channel: the answer has no `items` at all.
    if (user.accountType === 'NO_CHANNEL') return reply.send({ ...page, pageInfo: { totalResults: 0, resultsPerPage: 5 } });

    const title = displayNameFor(user.username);
    const thumbnail = avatarUrl(request, publicBaseUrl, 'youtube', user.userId);
    const parts: Record<string, object> = {
      snippet: {
        title,
        description: '',
        customUrl: `@${user.username}`,
        publishedAt: '2020-01-01T00:00:00Z',
        thumbnails: {
          default: { url: thumbnail, width: 88, height: 88 },
          medium: { url: thumbnail, width: 240, height: 240 },
          high: { url: thumbnail, width: 800, height: 800 },
        },
        localized: { title, description: '' },
      },
      contentDetails: { relatedPlaylists: { likes: '', uploads: `UU${user.userId.slice(2)}` } },
      statistics: { viewCount: '0', subscriberCount: '0', hiddenSubscriberCount: false, videoCount: '0' },
      status: { privacyStatus: 'public', isLinked: true, longUploadsStatus: 'allowed', madeForKids: false },
    };
    const requested = part.split(',').map((name) => name.trim());
    const unknown = requested.find((name) => name !== 'id' && !Object.hasOwn(parts, name));
    if (unknown !== undefined) return reply.code(400).send(badParameter('unknownPart', `'${unknown}'`, 'part'));
    const channel = {
      kind: 'youtube#channel',
      etag: etag(`${user.userId}:${part}:channel`),
      id: user.userId,
      ...Object.fromEntries(requested.filter((name) => name !== 'id').map((name) => [name, parts[name]])),
    };
    return reply.send({ ...page, pageInfo: { totalResults: 1, resultsPerPage: 5 }, items: [channel] });
  });
}
