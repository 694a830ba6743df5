/** What a test may tune about the YouTube (Google) emulator. */
export interface YouTubeConfig {
  clientId: string;
  clientSecret: string;
  accessTokenTtlSeconds: number;
  /** A refresh token unused this long dies (Google: six months). Every refresh starts it again. */
  refreshTokenIdleSeconds: number;
}

export const YOUTUBE_EMULATOR_CREDENTIALS = {
  clientId: '000000000000-emulator.apps.googleusercontent.com',
  clientSecret: 'GOCSPX-emulator-youtube-secret',
} as const;

export function resolveYouTubeConfig(options: Partial<YouTubeConfig>): YouTubeConfig {
  return {
    clientId: options.clientId ?? YOUTUBE_EMULATOR_CREDENTIALS.clientId,
    clientSecret: options.clientSecret ?? YOUTUBE_EMULATOR_CREDENTIALS.clientSecret,
    // Google's access tokens report `expires_in` 3599 (docs/platforms/youtube.md).
    accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 3599,
    refreshTokenIdleSeconds: options.refreshTokenIdleSeconds ?? 183 * 24 * 3600,
  };
}
