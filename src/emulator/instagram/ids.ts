import { digest } from '../user-ids.ts';

const INSTAGRAM_USER_ID_BASE = 17841400000000000n;

/**
 * Instagram professional-account id (`1784…`). Always above 2^53 and odd: every integer between
 * 2^53 and 2^54 that a double can hold is even, so an odd id is guaranteed to be corrupted by a
 * plain `JSON.parse`, which is exactly the client bug the emulator should expose.
 */
export function instagramUserId(username: string): string {
  const offset = digest(`instagram:user_id:${username}`).readBigUInt64BE(0) % 100_000_000_000n;
  return ((INSTAGRAM_USER_ID_BASE + offset) | 1n).toString();
}

/** Instagram app-scoped id, the `id` field of `/me`. */
export function instagramAppScopedId(username: string): string {
  const offset = digest(`instagram:app_scoped_id:${username}`).readBigUInt64BE(0) % 1_000_000_000_000_000n;
  return (24_000_000_000_000_000n + offset).toString();
}
