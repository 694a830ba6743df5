import { registerConsentRoutes } from '../consent-flow.ts';
import { defineEmulator } from '../platform-emulator.ts';
import { tiktokConsent } from './authorize.ts';
import { resolveTikTokConfig, TIKTOK_EMULATOR_CREDENTIALS, type TikTokConfig } from './config.ts';
import { tiktokOpenId } from './ids.ts';
import { registerTikTokOAuthRoutes } from './token.ts';
import { registerTikTokUserInfoRoute } from './user-info.ts';

/** TikTok's hosts, each under a path of the `/tiktok` prefix (the module's `emulatorPath`s). */
const WWW = '/www'; // https://www.tiktok.com
const OPEN_API = '/open'; // https://open.tiktokapis.com

export const tiktokEmulator = defineEmulator<TikTokConfig>({
  credentials: TIKTOK_EMULATOR_CREDENTIALS,
  faultEndpoints: ['token', 'refresh', 'userinfo', 'revoke'],
  accountTypes: ['BUSINESS', 'CREATOR', 'PERSONAL'],
  revokeSubcodes: [],
  userId: tiktokOpenId,
  register(scope, { state, publicBaseUrl }, options) {
    const config = resolveTikTokConfig(options);
    registerConsentRoutes(scope, `${WWW}/v2/auth/authorize/`, tiktokConsent(config), state);
    registerTikTokOAuthRoutes(scope, OPEN_API, { state, config });
    registerTikTokUserInfoRoute(scope, OPEN_API, state, publicBaseUrl);
  },
});
