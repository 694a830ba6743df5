import type { Clock } from '../clock.ts';
import type { Platform } from '../db/schema.ts';
import { EMULATOR_DEFAULT_CREDENTIALS } from '../emulator/app.ts';
import { createInstagramAdapter } from './instagram.ts';
import type { PlatformAdapter, PlatformEndpoints } from './platform.ts';
import { createPlatformRegistry, type PlatformRegistry } from './registry.ts';
import { createTikTokAdapter } from './tiktok.ts';

/** The bundled emulator mounts each real host under a path prefix of its one port. */
export function emulatorEndpoints(emulatorUrl: string): Record<Platform, PlatformEndpoints> {
  return {
    tiktok: {
      clientId: EMULATOR_DEFAULT_CREDENTIALS.tiktok.clientKey,
      clientSecret: EMULATOR_DEFAULT_CREDENTIALS.tiktok.clientSecret,
      authBaseUrl: `${emulatorUrl}/tiktok/www`,
      apiBaseUrl: `${emulatorUrl}/tiktok/open`,
    },
    instagram: {
      clientId: EMULATOR_DEFAULT_CREDENTIALS.instagram.clientId,
      clientSecret: EMULATOR_DEFAULT_CREDENTIALS.instagram.clientSecret,
      authBaseUrl: `${emulatorUrl}/instagram/www`,
      apiBaseUrl: `${emulatorUrl}/instagram/api`,
      graphBaseUrl: `${emulatorUrl}/instagram/graph`,
    },
  };
}

const factories: Record<Platform, (options: { endpoints: PlatformEndpoints; clock: Clock; fetch: typeof fetch }) => PlatformAdapter> = {
  tiktok: createTikTokAdapter,
  instagram: createInstagramAdapter,
};

/** Sandbox adapters on the emulator; live adapters where real credentials are configured. */
export function buildPlatformRegistry(options: {
  emulatorUrl: string;
  live: Partial<Record<Platform, PlatformEndpoints | null>>;
  clock: Clock;
  fetch: typeof fetch;
}): PlatformRegistry {
  const sandboxEndpoints = emulatorEndpoints(options.emulatorUrl);
  const make = (platform: Platform, endpoints: PlatformEndpoints) => factories[platform]({ endpoints, clock: options.clock, fetch: options.fetch });
  const live: Partial<Record<Platform, PlatformAdapter>> = {};
  for (const platform of ['tiktok', 'instagram'] as const) {
    const endpoints = options.live[platform];
    if (endpoints) live[platform] = make(platform, endpoints);
  }
  return createPlatformRegistry({
    sandbox: { tiktok: make('tiktok', sandboxEndpoints.tiktok), instagram: make('instagram', sandboxEndpoints.instagram) },
    live,
  });
}
