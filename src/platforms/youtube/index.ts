import { youtubeEmulator } from '../../emulator/youtube/index.ts';
import { definePlatform } from '../module.ts';
import { classifyYouTubeFailure } from './errors.ts';
import { fetchYouTubeProfile } from './profile.ts';

const READONLY_SCOPE = 'https://www.googleapis.com/auth/youtube.readonly';
const UPLOAD_SCOPE = 'https://www.googleapis.com/auth/youtube.upload';

/**
 * Access tokens last an hour, and every use refreshes one that is about to expire
 * (getUsableCredentials), so the background refresher does not keep them warm: that would be a
 * refresh per account every 45 minutes for nothing. It only uses each refresh token well inside
 * Google's six months of inactivity, after which the token dies (docs/platforms/youtube.md).
 */
const KEEP_ALIVE_MS = 30 * 24 * 60 * 60 * 1000;

/** YouTube: Google OAuth 2.0 for web server apps and the YouTube Data API v3 (docs/platforms/youtube.md). */
export const youtube = definePlatform({
  id: 'youtube',
  displayName: 'YouTube',
  // Accounts reconnect through oauth-url, which finds the same channel and keeps its socialAccountId.
  reauthEligible: false,
  app: {
    clientIdEnv: 'YOUTUBE_CLIENT_ID',
    clientSecretEnv: 'YOUTUBE_CLIENT_SECRET',
    hosts: {
      authBaseUrl: { env: 'YOUTUBE_AUTH_BASE_URL', production: 'https://accounts.google.com', emulatorPath: '/accounts' },
      tokenBaseUrl: { env: 'YOUTUBE_TOKEN_BASE_URL', production: 'https://oauth2.googleapis.com', emulatorPath: '/oauth2' },
      apiBaseUrl: { env: 'YOUTUBE_API_BASE_URL', production: 'https://www.googleapis.com', emulatorPath: '/www' },
    },
  },
  oauth: {
    authorize: {
      host: 'authBaseUrl',
      path: '/o/oauth2/v2/auth',
      clientIdParam: 'client_id',
      // A refresh token only with offline access, and a new one on every consent only with prompt=consent.
      extraParams: { access_type: 'offline', prompt: 'consent', include_granted_scopes: 'true' },
    },
    pkce: 'S256',
    scopeSeparator: ' ',
    defaultScopes: [READONLY_SCOPE, UPLOAD_SCOPE],
    // Upload publishes; the channel (the account's profile and its health check) cannot be read without a read scope.
    requiredScopes: [READONLY_SCOPE, UPLOAD_SCOPE],
    // Granular consent lets the person untick scopes; the redirect lists what was granted.
    callbackScopesParam: 'scope',
    token: { host: 'tokenBaseUrl', path: '/token', clientIdParam: 'client_id', bodyFormat: 'form', clientAuth: 'body' },
    // Google issues the refresh token once and keeps it: a refresh answer without one keeps the old one.
    refresh: { kind: 'grant', refreshTokens: 'stable' },
    // A 401 `authError` is an access token that expired or was replaced; a refresh decides whether the grant lives.
    refreshMendsRejectedAccessToken: true,
    nextRefreshAt: (tokens) => (tokens.refreshToken === null ? null : new Date(Date.parse(tokens.issuedAt) + KEEP_ALIVE_MS).toISOString()),
    // Either token may be revoked; the refresh token outlives the hour of an access token.
    revoke: { host: 'tokenBaseUrl', path: '/revoke', token: 'refresh', clientAuth: 'none' },
  },
  classify: classifyYouTubeFailure,
  fetchProfile: fetchYouTubeProfile,
  emulator: youtubeEmulator,
});
