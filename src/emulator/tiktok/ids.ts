import { digest, uuidFrom } from '../user-ids.ts';

/** TikTok `open_id`: per-app id, UUID-shaped like the real ones. */
export function tiktokOpenId(username: string): string {
  return uuidFrom(digest(`tiktok:open_id:${username}`));
}

/** TikTok `union_id`: stable across one developer's apps. */
export function tiktokUnionId(username: string): string {
  return uuidFrom(digest(`tiktok:union_id:${username}`));
}
