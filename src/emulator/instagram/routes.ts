import type { FastifyInstance } from 'fastify';
import type { EmulatorConfig } from '../config.ts';
import { registerConsentRoutes } from '../consent-flow.ts';
import { logPlatformRequests } from '../request-log.ts';
import type { EmulatorState } from '../state.ts';
import { instagramConsent } from './authorize.ts';
import { registerInstagramCodeExchangeRoute } from './code-exchange.ts';
import { registerInstagramGraphTokenRoutes } from './graph-tokens.ts';
import { registerInstagramMeRoutes } from './me.ts';

/** Instagram's hosts, each mounted under a path inside the `/instagram` prefix. */
const WWW = '/www'; // https://www.instagram.com
const API = '/api'; // https://api.instagram.com
const GRAPH = '/graph'; // https://graph.instagram.com

/** All Instagram routes; register with prefix `/instagram`. */
export function registerInstagramRoutes(scope: FastifyInstance, state: EmulatorState, config: EmulatorConfig): void {
  logPlatformRequests(scope, 'instagram', state.requests, state.clock);
  const consent = instagramConsent(config.instagram);
  // The docs send users to www.instagram.com; the reference page still shows api.instagram.com.
  registerConsentRoutes(scope, `${WWW}/oauth/authorize`, consent, state);
  registerConsentRoutes(scope, `${API}/oauth/authorize`, consent, state);
  registerInstagramCodeExchangeRoute(scope, API, state, config.instagram);
  registerInstagramGraphTokenRoutes(scope, GRAPH, state, config.instagram);
  registerInstagramMeRoutes(scope, GRAPH, state, config.publicBaseUrl);
}
