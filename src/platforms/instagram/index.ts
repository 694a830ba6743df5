import { instagramEmulator } from '../../emulator/instagram/index.ts';
import { definePlatform } from '../module.ts';
import { instagramMedia } from './media.ts';
import { refreshPointBefore } from '../tokens.ts';
import { classifyInstagramFailure, isInstagramFailure } from './errors.ts';
import { instagramMetrics } from './metrics.ts';
import { fetchInstagramProfile } from './profile.ts';
import { createInstagramPublishing } from './publishing.ts';
import { exchangeInstagramCode, refreshLongLivedToken } from './tokens.ts';

/** Instagram refuses to refresh a long-lived token younger than a day (docs/platforms/instagram.md). */
const MINIMUM_REFRESH_AGE_MS = 24 * 60 * 60 * 1000;

/** Instagram API with Instagram Login ("Business Login"): no PKCE, no refresh token, no revoke endpoint. */
export const instagram = definePlatform({
  id: 'instagram',
  displayName: 'Instagram',
  reauthEligible: true,
  app: {
    clientIdEnv: 'INSTAGRAM_CLIENT_ID',
    clientSecretEnv: 'INSTAGRAM_CLIENT_SECRET',
    hosts: {
      authBaseUrl: { env: 'INSTAGRAM_AUTH_BASE_URL', production: 'https://www.instagram.com', emulatorPath: '/www' },
      apiBaseUrl: { env: 'INSTAGRAM_API_BASE_URL', production: 'https://api.instagram.com', emulatorPath: '/api' },
      graphBaseUrl: { env: 'INSTAGRAM_GRAPH_BASE_URL', production: 'https://graph.instagram.com', emulatorPath: '/graph' },
    },
  },
  oauth: {
    authorize: { host: 'authBaseUrl', path: '/oauth/authorize', clientIdParam: 'client_id' },
    // Instagram Login has no PKCE; why its state is still safe: docs/security.md.
    pkce: 'none',
    scopeSeparator: ',',
    defaultScopes: ['instagram_business_basic', 'instagram_business_content_publish'],
    requiredScopes: ['instagram_business_basic', 'instagram_business_content_publish'],
    callbackScopesParam: null,
    token: { host: 'apiBaseUrl', path: '/oauth/access_token', clientIdParam: 'client_id', bodyFormat: 'form', clientAuth: 'body' },
    exchange: exchangeInstagramCode,
    // There is no refresh token: the long-lived token refreshes itself until it expires.
    refresh: { kind: 'custom', run: refreshLongLivedToken },
    // Code 190 is never mended by a refresh.
    refreshMendsRejectedAccessToken: false,
    nextRefreshAt(tokens) {
      const issuedAt = new Date(tokens.issuedAt);
      const expiresAt = new Date(tokens.accessTokenExpiresAt);
      const earliest = issuedAt.getTime() + MINIMUM_REFRESH_AGE_MS;
      const at = Math.max(earliest, refreshPointBefore(issuedAt, expiresAt).getTime());
      // A token that dies before it is a day old can never be refreshed: the account will need a reconnect.
      return at < expiresAt.getTime() ? new Date(at).toISOString() : null;
    },
    // A user removes the app in Instagram's settings; forgetting the token is all the server can do.
    revoke: null,
  },
  classify: (status, body) => (isInstagramFailure(status, body) ? classifyInstagramFailure(status, body) : null),
  fetchProfile: fetchInstagramProfile,
  publishing: createInstagramPublishing(),
  metrics: instagramMetrics,
  media: instagramMedia,
  emulator: instagramEmulator,
});
