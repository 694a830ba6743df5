/** What a test may tune about the Instagram emulator. */
export interface InstagramConfig {
  clientId: string;
  clientSecret: string;
  shortLivedTtlSeconds: number;
  longLivedTtlSeconds: number;
  /** API-published posts allowed per account in any 24 hours (`content_publishing_limit`). */
  publishingLimit: number;
}

export const INSTAGRAM_EMULATOR_CREDENTIALS = { clientId: '990000000000001', clientSecret: 'emulator-instagram-secret' } as const;

export function resolveInstagramConfig(options: Partial<InstagramConfig>): InstagramConfig {
  return {
    clientId: options.clientId ?? INSTAGRAM_EMULATOR_CREDENTIALS.clientId,
    clientSecret: options.clientSecret ?? INSTAGRAM_EMULATOR_CREDENTIALS.clientSecret,
    // 1 hour short-lived, 60 days long-lived (docs/platforms/instagram.md).
    shortLivedTtlSeconds: options.shortLivedTtlSeconds ?? 3600,
    longLivedTtlSeconds: options.longLivedTtlSeconds ?? 5_184_000,
    publishingLimit: options.publishingLimit ?? 100,
  };
}
