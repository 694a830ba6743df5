import { z } from 'zod';
import type { PlatformProfile } from '../adapter.ts';
import type { PlatformHttp } from '../http-client.ts';
import type { TokenSet } from '../tokens.ts';

/** Fields `user.info.basic` covers; `username` needs `user.info.profile` since 2024 (docs/platforms/tiktok.md). */
const BASIC_USER_FIELDS = ['open_id', 'union_id', 'avatar_url', 'display_name'] as const;
const PROFILE_SCOPE = 'user.info.profile';

const userInfoSchema = z.object({
  data: z.object({
    user: z.object({
      open_id: z.string().min(1),
      display_name: z.string().optional(),
      avatar_url: z.string().optional(),
      username: z.string().optional(),
    }),
  }),
});

export async function fetchTikTokProfile(http: PlatformHttp, tokens: TokenSet): Promise<PlatformProfile> {
  // Asking for a field whose scope was not granted fails the whole call, so ask only for what was granted.
  const withUsername = tokens.grantedScopes.includes(PROFILE_SCOPE);
  const fields = withUsername ? [...BASIC_USER_FIELDS, 'username'] : BASIC_USER_FIELDS;
  const request = {
    operation: 'user info',
    method: 'GET',
    url: http.url('apiBaseUrl', '/v2/user/info/'),
    query: { fields: fields.join(',') },
    bearerToken: tokens.accessToken,
    secrets: [tokens.accessToken],
  } as const;
  const { user } = http.parse(userInfoSchema, await http.call(request), request).data;
  return {
    platformUserId: user.open_id,
    handle: user.username || user.display_name || user.open_id,
    displayName: user.display_name || null,
    avatarUrl: user.avatar_url || null,
    // Every TikTok account can publish through the Content Posting API.
    eligible: true,
  };
}
