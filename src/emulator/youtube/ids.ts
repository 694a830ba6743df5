import { digest } from '../user-ids.ts';

/** A channel id: `UC` and 22 URL-safe base64 characters, derived from the username so it is stable. */
export function youtubeChannelId(username: string): string {
  return `UC${digest(`youtube:channel_id:${username}`).toString('base64url').slice(0, 22)}`;
}
