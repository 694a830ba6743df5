import { tiktokEmulator } from '../../emulator/tiktok/index.ts';
import { definePlatform } from '../module.ts';
import { tiktokMedia } from './media.ts';
import { refreshPointBefore } from '../tokens.ts';
import { classifyTikTokFailure, isTikTokFailure, tiktokCallOf } from './errors.ts';
import { tiktokMetrics } from './metrics.ts';
import { fetchTikTokProfile } from './profile.ts';
import { createTikTokPublishing } from './publishing.ts';

/** TikTok: Login Kit v2 and the Content Posting API (docs/platforms/tiktok.md). */
export const tiktok = definePlatform({
  id: 'tiktok',
  displayName: 'TikTok',
  reauthEligible: true,
  app: {
    clientIdEnv: 'TIKTOK_CLIENT_KEY',
    clientSecretEnv: 'TIKTOK_CLIENT_SECRET',
    hosts: {
      authBaseUrl: { env: 'TIKTOK_AUTH_BASE_URL', production: 'https://www.tiktok.com', emulatorPath: '/www' },
      apiBaseUrl: { env: 'TIKTOK_API_BASE_URL', production: 'https://open.tiktokapis.com', emulatorPath: '/open' },
    },
    settings: {
      // A URL prefix verified in TikTok's developer portal, under which PUBLIC_BASE_URL serves media:
      // videos under it are pulled by TikTok (PULL_FROM_URL) instead of pushed in chunks.
      verifiedMediaUrlPrefix: {
        env: 'TIKTOK_VERIFIED_MEDIA_URL_PREFIX',
        check: (value) => (/^https:\/\/[^/]+/.test(value) ? null : 'must be an https URL prefix verified with TikTok'),
      },
    },
  },
  oauth: {
    authorize: { host: 'authBaseUrl', path: '/v2/auth/authorize/', clientIdParam: 'client_key' },
    // Web apps may send an RFC 7636 challenge and TikTok verifies it; the verifier goes with the code.
    pkce: 'S256',
    scopeSeparator: ',',
    defaultScopes: ['user.info.basic', 'user.info.profile', 'video.publish', 'video.upload'],
    requiredScopes: ['user.info.basic', 'video.publish'],
    callbackScopesParam: 'scopes',
    token: { host: 'apiBaseUrl', path: '/v2/oauth/token/', clientIdParam: 'client_key', bodyFormat: 'form', clientAuth: 'body' },
    // TikTok kills the old refresh token as it issues the new one.
    refresh: { kind: 'grant', refreshTokens: 'rotating' },
    refreshMendsRejectedAccessToken: true,
    nextRefreshAt: (tokens) =>
      tokens.refreshToken === null ? null : refreshPointBefore(new Date(tokens.issuedAt), new Date(tokens.accessTokenExpiresAt)).toISOString(),
    revoke: { host: 'apiBaseUrl', path: '/v2/oauth/revoke/', token: 'access', clientAuth: 'body' },
  },
  classify: (status, body, request) =>
    isTikTokFailure(status, body) ? classifyTikTokFailure(status, body, tiktokCallOf(request)) : null,
  fetchProfile: fetchTikTokProfile,
  publishing: createTikTokPublishing(),
  metrics: tiktokMetrics,
  media: tiktokMedia,
  emulator: tiktokEmulator,
});
