import type { FastifyInstance } from 'fastify';
import type { EmulatorConfig } from '../config.ts';
import { registerConsentRoutes } from '../consent-flow.ts';
import { logPlatformRequests } from '../request-log.ts';
import type { EmulatorState } from '../state.ts';
import { tiktokConsent } from './authorize.ts';
import { registerTikTokOAuthRoutes } from './token.ts';
import { registerTikTokUserInfoRoute } from './user-info.ts';

/** TikTok's hosts, each mounted under a path inside the `/tiktok` prefix. */
const WWW = '/www'; // https://www.tiktok.com
const OPEN_API = '/open'; // https://open.tiktokapis.com

/** All TikTok routes; register with prefix `/tiktok`. */
export function registerTikTokRoutes(scope: FastifyInstance, state: EmulatorState, config: EmulatorConfig): void {
  logPlatformRequests(scope, 'tiktok', state.requests, state.clock);
  registerConsentRoutes(scope, `${WWW}/v2/auth/authorize/`, tiktokConsent(config.tiktok), state);
  registerTikTokOAuthRoutes(scope, OPEN_API, { state, config: config.tiktok });
  registerTikTokUserInfoRoute(scope, OPEN_API, state, config.publicBaseUrl);
}
