import { createHash } from 'node:crypto';
import type { Platform } from './platforms.ts';

// Ids are derived from the username alone, so the same username maps to the same platform ids
// in every emulator instance and across restarts, like a real account would.

function digest(label: string): Buffer {
  return createHash('sha256').update(label).digest();
}

function uuidFrom(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20, 32)].join('-');
}

/** TikTok `open_id`: per-app id, UUID-shaped like the real ones. */
export function tiktokOpenId(username: string): string {
  return uuidFrom(digest(`tiktok:open_id:${username}`));
}

/** TikTok `union_id`: stable across one developer's apps. */
export function tiktokUnionId(username: string): string {
  return uuidFrom(digest(`tiktok:union_id:${username}`));
}

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

/** The id the control API reports for a user: TikTok `open_id`, Instagram `user_id`. */
export function userIdFor(platform: Platform, username: string): string {
  return platform === 'tiktok' ? tiktokOpenId(username) : instagramUserId(username);
}
