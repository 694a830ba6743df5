import type { PkceMode } from './pkce.ts';

/** What a test may tune about the TikTok emulator. */
export interface TikTokConfig {
  clientKey: string;
  clientSecret: string;
  pkceMode: PkceMode;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
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
  };
}
