import { registerConsentRoutes } from '../consent-flow.ts';
import { defineEmulator } from '../platform-emulator.ts';
import { instagramConsent } from './authorize.ts';
import { registerInstagramCodeExchangeRoute } from './code-exchange.ts';
import { INSTAGRAM_EMULATOR_CREDENTIALS, resolveInstagramConfig, type InstagramConfig } from './config.ts';
import { registerInstagramGraphTokenRoutes } from './graph-tokens.ts';
import { instagramUserId } from './ids.ts';
import { registerInstagramMeRoutes } from './me.ts';
import { registerInstagramPublishingRoutes } from './publishing.ts';

/** Instagram's hosts, each under a path of the `/instagram` prefix (the module's `emulatorPath`s). */
const WWW = '/www'; // https://www.instagram.com
const API = '/api'; // https://api.instagram.com
const GRAPH = '/graph'; // https://graph.instagram.com

export const instagramEmulator = defineEmulator<InstagramConfig>({
  credentials: INSTAGRAM_EMULATOR_CREDENTIALS,
  faultEndpoints: ['token', 'exchange', 'refresh', 'me'],
  publishSteps: ['publishing_limit', 'container', 'container_status', 'publish', 'media', 'comment', 'insights'],
  accountTypes: ['BUSINESS', 'CREATOR', 'PERSONAL'],
  revokeSubcodes: [458, 460, 467],
  userId: instagramUserId,
  register(scope, { state, publicBaseUrl }, options) {
    const config = resolveInstagramConfig(options);
    const consent = instagramConsent(config);
    // The docs send users to www.instagram.com; the reference page still shows api.instagram.com.
    registerConsentRoutes(scope, `${WWW}/oauth/authorize`, consent, state);
    registerConsentRoutes(scope, `${API}/oauth/authorize`, consent, state);
    registerInstagramCodeExchangeRoute(scope, API, state, config);
    registerInstagramGraphTokenRoutes(scope, GRAPH, state, config);
    registerInstagramMeRoutes(scope, GRAPH, state, publicBaseUrl);
    registerInstagramPublishingRoutes(scope, GRAPH, state, config);
  },
});
