import { registerConsentRoutes } from '../consent-flow.ts';
import { defineEmulator } from '../platform-emulator.ts';
import { tiktokConsent } from './authorize.ts';
import { resolveTikTokConfig, TIKTOK_EMULATOR_CREDENTIALS, type TikTokConfig } from './config.ts';
import { tiktokOpenId } from './ids.ts';
import { registerTikTokPostingRoutes } from './posting.ts';
import { registerTikTokOAuthRoutes } from './token.ts';
import { registerTikTokUserInfoRoute } from './user-info.ts';
import { registerTikTokVideoQueryRoute } from './video-query.ts';

/** TikTok's hosts, each under a path of the `/tiktok` prefix (the module's `emulatorPath`s). */
const WWW = '/www'; // https://www.tiktok.com
const OPEN_API = '/open'; // https://open.tiktokapis.com
const UPLOAD = '/upload'; // https://open-upload.tiktokapis.com, handed out per upload as upload_url

export const tiktokEmulator = defineEmulator<TikTokConfig>({
  credentials: TIKTOK_EMULATOR_CREDENTIALS,
  faultEndpoints: ['token', 'refresh', 'userinfo', 'revoke'],
  publishSteps: ['creator_info', 'init', 'upload', 'status', 'video_query'],
  accountTypes: ['BUSINESS', 'CREATOR', 'PERSONAL'],
  revokeSubcodes: [],
  userId: tiktokOpenId,
  register(scope, { state, publicBaseUrl }, options) {
    const config = resolveTikTokConfig(options);
    registerConsentRoutes(scope, `${WWW}/v2/auth/authorize/`, tiktokConsent(config), state);
    registerTikTokOAuthRoutes(scope, OPEN_API, { state, config });
    registerTikTokUserInfoRoute(scope, OPEN_API, state, publicBaseUrl);
    registerTikTokPostingRoutes(scope, OPEN_API, UPLOAD, { state, config, publicBaseUrl });
    registerTikTokVideoQueryRoute(scope, OPEN_API, state);
  },
});
