import { z } from 'zod';
import type { PlatformProfile } from '../adapter.ts';
import { invalidResponse } from '../errors.ts';
import type { PlatformHttp } from '../http-client.ts';
import type { TokenSet } from '../tokens.ts';

const ELIGIBLE_ACCOUNT_TYPES = new Set(['BUSINESS', 'MEDIA_CREATOR']);
const PROFILE_FIELDS = 'user_id,username,name,account_type,profile_picture_url';

const profileSchema = z.object({
  user_id: z.union([z.string().regex(/^\d+$/), z.number()]),
  username: z.string().min(1),
  name: z.string().nullish(),
  account_type: z.string().nullish(),
  profile_picture_url: z.string().nullish(),
});

/** The digits of a numeric `user_id` exactly as sent, which the JSON.parse'd number may not hold. */
function exactUserId(userId: string | number, rawBody: string): string | null {
  if (typeof userId === 'string') return userId;
  return /"user_id"\s*:\s*(\d+)/.exec(rawBody)?.[1] ?? null;
}

export async function fetchInstagramProfile(http: PlatformHttp, tokens: TokenSet): Promise<PlatformProfile> {
  const request = {
    operation: 'profile',
    method: 'GET',
    url: http.url('graphBaseUrl', '/me'),
    query: { fields: PROFILE_FIELDS },
    bearerToken: tokens.accessToken,
    secrets: [tokens.accessToken],
  } as const;
  const response = await http.call(request);
  const profile = http.parse(profileSchema, response, request);
  const platformUserId = exactUserId(profile.user_id, response.text);
  if (platformUserId === null) throw invalidResponse(http.failureContext(request), response.status, 'user_id is not an integer');
  // Personal accounts cannot publish through the API.
  if (!ELIGIBLE_ACCOUNT_TYPES.has(profile.account_type ?? '')) {
    return { eligible: false, reason: `@${profile.username} is not a business or creator account, which publishing requires.` };
  }
  return {
    platformUserId,
    handle: profile.username,
    displayName: profile.name || null,
    avatarUrl: profile.profile_picture_url || null,
    eligible: true,
  };
}
