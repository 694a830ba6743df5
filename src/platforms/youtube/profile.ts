import { z } from 'zod';
import type { PlatformProfile } from '../adapter.ts';
import type { PlatformHttp } from '../http-client.ts';
import type { TokenSet } from '../tokens.ts';

const thumbnail = z.object({ url: z.string().min(1) }).optional();

/** `channels.list` with `part=snippet&mine=true`: the channel of the signed-in identity, or no `items` at all. */
const channelListSchema = z.object({
  items: z
    .array(
      z.object({
        id: z.string().min(1),
        snippet: z.object({
          title: z.string(),
          customUrl: z.string().optional(),
          thumbnails: z.object({ high: thumbnail, medium: thumbnail, default: thumbnail }).optional(),
        }),
      }),
    )
    .optional(),
});

/** The person's channel is the account: its id, title, `@handle` and thumbnail (docs/platforms/youtube.md). */
export async function fetchYouTubeProfile(http: PlatformHttp, tokens: TokenSet): Promise<PlatformProfile> {
  const request = {
    operation: 'profile',
    method: 'GET',
    url: http.url('apiBaseUrl', '/youtube/v3/channels'),
    query: { part: 'snippet', mine: 'true' },
    bearerToken: tokens.accessToken,
    secrets: [tokens.accessToken],
  } as const;
  const channel = http.parse(channelListSchema, await http.call(request), request).items?.[0];
  // A Google account without a channel can sign in but has nowhere to publish.
  if (channel === undefined) {
    return { eligible: false, reason: 'This Google account has no YouTube channel. Create one on YouTube, then connect again.' };
  }
  const { title, customUrl, thumbnails } = channel.snippet;
  return {
    eligible: true,
    platformUserId: channel.id,
    // `customUrl` is the channel's `@handle`; handles are kept without the `@`, as on the other platforms.
    handle: customUrl?.replace(/^@/, '') || title || channel.id,
    displayName: title || null,
    avatarUrl: (thumbnails?.high ?? thumbnails?.medium ?? thumbnails?.default)?.url ?? null,
  };
}
