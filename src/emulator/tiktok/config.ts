import type { PkceMode } from './pkce.ts';

/** What a test may tune about the TikTok emulator. */
export interface TikTokConfig {
  clientKey: string;
  clientSecret: string;
  pkceMode: PkceMode;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** Video, inbox and photo inits allowed per access token in any minute (TikTok: 6). */
  initsPerMinute: number;
  /** Direct posts a creator may make in 24 hours before `spam_risk_too_many_posts`. */
  dailyPostCap: number;
  /** Inbox drafts a creator may have pending in 24 hours before `spam_risk_too_many_pending_share` (TikTok: 5). */
  pendingShareCap: number;
  /** What creator info reports as `max_video_post_duration_sec`. */
  maxVideoPostDurationSec: number;
  /** The smallest chunk TikTok takes (5 MB); tests lower it to upload small files in several chunks. */
  minChunkBytes: number;
}

export const TIKTOK_EMULATOR_CREDENTIALS = { clientId: 'emulator-tiktok-key', clientSecret: 'emulator-tiktok-secret' } as const;

export function resolveTikTokConfig(options: Partial<TikTokConfig>): TikTokConfig {
  return {
    clientKey: options.clientKey ?? TIKTOK_EMULATOR_CREDENTIALS.clientId,
    clientSecret: options.clientSecret ?? TIKTOK_EMULATOR_CREDENTIALS.clientSecret,
    pkceMode: options.pkceMode ?? 'web',
    // Current TikTok lifetimes (docs/platforms/tiktok.md): 2 hours / 180 days.
    accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 7200,
    refreshTokenTtlSeconds: options.refreshTokenTtlSeconds ?? 15_552_000,
    initsPerMinute: options.initsPerMinute ?? 6,
    // TikTok does not publish the number; creators and integrators report about 15 a day.
    dailyPostCap: options.dailyPostCap ?? 15,
    pendingShareCap: options.pendingShareCap ?? 5,
    maxVideoPostDurationSec: options.maxVideoPostDurationSec ?? 600,
    minChunkBytes: options.minChunkBytes ?? 5 * 1024 * 1024,
  };
}
