import type { PlatformModule } from './module.ts';
import { instagram } from './instagram/index.ts';
import { tiktok } from './tiktok/index.ts';
import { youtube } from './youtube/index.ts';

/**
 * Every platform the server speaks to, and the only list of them: schemas, configuration, the
 * sandbox, the emulator and the tests all read it. Adding a platform is its two folders
 * (`src/platforms/<id>/`, `src/emulator/<id>/`) and one line here (docs/platforms/adding-a-platform.md).
 */
export const PLATFORM_MODULES = [tiktok, instagram, youtube] as const;

export type PlatformId = (typeof PLATFORM_MODULES)[number]['id'];

/** The ids, in registry order, as a non-empty tuple (what `z.enum` takes). */
export const PLATFORMS = PLATFORM_MODULES.map((module) => module.id) as unknown as readonly [PlatformId, ...PlatformId[]];

const BY_ID = new Map<string, PlatformModule>(PLATFORM_MODULES.map((module) => [module.id, module]));

export function isPlatformId(value: string): value is PlatformId {
  return BY_ID.has(value);
}

export function platformModule(id: PlatformId): PlatformModule {
  return BY_ID.get(id) as PlatformModule;
}

/** Platforms whose accounts can be reconnected through reauth-url; the others reconnect through oauth-url. */
export const REAUTH_ELIGIBLE: readonly PlatformId[] = PLATFORMS.filter((id) => platformModule(id).reauthEligible);
