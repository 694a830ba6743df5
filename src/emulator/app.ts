import formbody from '@fastify/formbody';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { isPlatformId, PLATFORM_MODULES, platformModule } from '../platforms/registry.ts';
import { registerAvatarRoute } from './avatar.ts';
import type { EmulatorOptions } from './config.ts';
import { registerControlRoutes } from './control.ts';
import { registerMultipartFormParser } from './multipart-form.ts';
import type { PlatformEmulator } from './platform-emulator.ts';
import { logPlatformRequests } from './request-log.ts';
import { createEmulatorState } from './state.ts';

export { EMULATOR_DEFAULT_CREDENTIALS } from './config.ts';
export type { EmulatorOptions } from './config.ts';

/**
 * Every registered platform's OAuth and API hosts on one server, each platform under `/<id>` and
 * each of its real hosts under a path inside that (the module's `emulatorPath`), plus `/avatars/…`
 * and the `/_control/…` test hooks. State lives in memory, per instance.
 */
export function buildEmulator(options: EmulatorOptions = {}): FastifyInstance {
  const state = createEmulatorState(options.now ?? Date.now, {
    userId: (platform, username) => platformModule(platform).emulator.userId(username),
    defaultAccountType: (platform) => platformModule(platform).emulator.accountTypes[0],
  });
  // Clients disagree about trailing slashes on these endpoints, so accept both.
  const app = Fastify({ logger: options.logger ?? false, routerOptions: { ignoreTrailingSlash: true } });
  const context = { state, publicBaseUrl: options.publicBaseUrl?.replace(/\/+$/, '') };

  void app.register(formbody);
  registerMultipartFormParser(app);
  registerAvatarRoute(app, isPlatformId);
  for (const module of PLATFORM_MODULES) {
    const emulator = module.emulator as PlatformEmulator;
    const platformOptions = (options as Record<string, object | undefined>)[module.id] ?? {};
    void app.register(
      async (scope) => {
        logPlatformRequests(scope, module.id, state.requests, state.clock);
        emulator.register(scope, context, platformOptions);
      },
      { prefix: `/${module.id}` },
    );
  }
  void app.register(async (scope) => registerControlRoutes(scope, state), { prefix: '/_control' });
  return app;
}
