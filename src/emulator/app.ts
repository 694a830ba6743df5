import formbody from '@fastify/formbody';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { registerAvatarRoute } from './avatar.ts';
import { resolveConfig } from './config.ts';
import type { EmulatorOptions } from './config.ts';
import { registerControlRoutes } from './control.ts';
import { registerInstagramRoutes } from './instagram/routes.ts';
import { registerMultipartFormParser } from './multipart-form.ts';
import { createEmulatorState } from './state.ts';
import { registerTikTokRoutes } from './tiktok/routes.ts';

export { EMULATOR_DEFAULT_CREDENTIALS } from './config.ts';
export type { EmulatorOptions } from './config.ts';

/**
 * TikTok and Instagram OAuth + user APIs on one server, each real host under a path prefix
 * (`/tiktok/www`, `/tiktok/open`, `/instagram/www`, `/instagram/api`, `/instagram/graph`),
 * plus `/avatars/…` and the `/_control/…` test hooks. State lives in memory, per instance.
 */
export function buildEmulator(options: EmulatorOptions = {}): FastifyInstance {
  const config = resolveConfig(options);
  const state = createEmulatorState(options.now ?? Date.now);
  // Clients disagree about trailing slashes on these endpoints (PLATFORMS.md 1.1), so accept both.
  const app = Fastify({ logger: options.logger ?? false, routerOptions: { ignoreTrailingSlash: true } });

  void app.register(formbody);
  registerMultipartFormParser(app);
  registerAvatarRoute(app);
  void app.register(async (scope) => registerTikTokRoutes(scope, state, config), { prefix: '/tiktok' });
  void app.register(async (scope) => registerInstagramRoutes(scope, state, config), { prefix: '/instagram' });
  void app.register(async (scope) => registerControlRoutes(scope, state), { prefix: '/_control' });
  return app;
}
