import { registerConsentRoutes } from '../consent-flow.ts';
import { defineEmulator } from '../platform-emulator.ts';
import { youtubeConsent } from './authorize.ts';
import { registerYouTubeChannelsRoute, YOUTUBE_ACCOUNT_TYPES } from './channels.ts';
import { resolveYouTubeConfig, YOUTUBE_EMULATOR_CREDENTIALS, type YouTubeConfig } from './config.ts';
import { youtubeChannelId } from './ids.ts';
import { registerGoogleOAuthRoutes } from './token.ts';

/** Google's hosts, each under a path of the `/youtube` prefix (the module's `emulatorPath`s). */
const ACCOUNTS = '/accounts'; // https://accounts.google.com
const OAUTH2 = '/oauth2'; // https://oauth2.googleapis.com
const WWW = '/www'; // https://www.googleapis.com

export const youtubeEmulator = defineEmulator<YouTubeConfig>({
  credentials: YOUTUBE_EMULATOR_CREDENTIALS,
  faultEndpoints: ['token', 'refresh', 'revoke', 'channels'],
  accountTypes: YOUTUBE_ACCOUNT_TYPES,
  revokeSubcodes: [],
  publishSteps: [],
  userId: youtubeChannelId,
  register(scope, { state, publicBaseUrl }, options) {
    const config = resolveYouTubeConfig(options);
    registerConsentRoutes(scope, `${ACCOUNTS}/o/oauth2/v2/auth`, youtubeConsent(config), state);
    registerGoogleOAuthRoutes(scope, OAUTH2, { state, config });
    registerYouTubeChannelsRoute(scope, WWW, state, publicBaseUrl);
  },
});
