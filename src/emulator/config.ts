import type { PkceMode } from './tiktok/pkce.ts';

export interface EmulatorOptions {
  /** Injectable clock, epoch ms (default Date.now); all expiry logic uses it. */
  now?: () => number;
  /** Origin used to build avatar URLs; defaults to the origin each request came in on. */
  publicBaseUrl?: string;
  tiktok?: {
    clientKey?: string;
    clientSecret?: string;
    pkceMode?: PkceMode;
    accessTokenTtlSeconds?: number;
    refreshTokenTtlSeconds?: number;
  };
  instagram?: {
    clientId?: string;
    clientSecret?: string;
    shortLivedTtlSeconds?: number;
    longLivedTtlSeconds?: number;
  };
  logger?: boolean;
}

export const EMULATOR_DEFAULT_CREDENTIALS = {
  tiktok: { clientKey: 'emulator-tiktok-key', clientSecret: 'emulator-tiktok-secret' },
  instagram: { clientId: '990000000000001', clientSecret: 'emulator-instagram-secret' },
} as const;

export interface TikTokConfig {
  clientKey: string;
  clientSecret: string;
  pkceMode: PkceMode;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
}

export interface InstagramConfig {
  clientId: string;
  clientSecret: string;
  shortLivedTtlSeconds: number;
  longLivedTtlSeconds: number;
}

export interface EmulatorConfig {
  publicBaseUrl: string | undefined;
  tiktok: TikTokConfig;
  instagram: InstagramConfig;
}

export function resolveConfig(options: EmulatorOptions): EmulatorConfig {
  return {
    publicBaseUrl: options.publicBaseUrl?.replace(/\/+$/, ''),
    tiktok: {
      clientKey: options.tiktok?.clientKey ?? EMULATOR_DEFAULT_CREDENTIALS.tiktok.clientKey,
      clientSecret: options.tiktok?.clientSecret ?? EMULATOR_DEFAULT_CREDENTIALS.tiktok.clientSecret,
      pkceMode: options.tiktok?.pkceMode ?? 'web',
      // Current TikTok lifetimes (PLATFORMS.md 1.3): 2 hours / 180 days.
      accessTokenTtlSeconds: options.tiktok?.accessTokenTtlSeconds ?? 7200,
      refreshTokenTtlSeconds: options.tiktok?.refreshTokenTtlSeconds ?? 15_552_000,
    },
    instagram: {
      clientId: options.instagram?.clientId ?? EMULATOR_DEFAULT_CREDENTIALS.instagram.clientId,
      clientSecret: options.instagram?.clientSecret ?? EMULATOR_DEFAULT_CREDENTIALS.instagram.clientSecret,
      // 1 hour short-lived, 60 days long-lived (PLATFORMS.md 2.1).
      shortLivedTtlSeconds: options.instagram?.shortLivedTtlSeconds ?? 3600,
      longLivedTtlSeconds: options.instagram?.longLivedTtlSeconds ?? 5_184_000,
    },
  };
}
