import type { Platform } from '../db/schema.ts';
import type { PlatformAdapter } from './platform.ts';

export const PLATFORMS = ['tiktok', 'instagram'] as const satisfies readonly Platform[];
/** Platforms whose accounts can be reconnected through reauth-url (API.md §5). */
export const REAUTH_ELIGIBLE: readonly string[] = ['tiktok', 'instagram'];

/**
 * The adapters a server talks to: the sandbox set always points at the bundled emulator;
 * the live set at the real platforms where credentials are configured.
 */
export interface PlatformRegistry {
  /** `sandbox` is the caller's wish (lp_test_ keys); the answer says which one it got. */
  select(platform: Platform, sandbox: boolean): { adapter: PlatformAdapter; sandbox: boolean };
  /** The adapter for an account or state that recorded where it was connected. */
  adapter(platform: Platform, sandbox: boolean): PlatformAdapter;
}

export function createPlatformRegistry(adapters: {
  sandbox: Record<Platform, PlatformAdapter>;
  live: Partial<Record<Platform, PlatformAdapter>>;
}): PlatformRegistry {
  const registry: PlatformRegistry = {
    select(platform, sandbox) {
      const live = adapters.live[platform];
      // Sandbox keys never reach a real platform; live keys use the emulator until credentials exist.
      if (sandbox || !live) return { adapter: adapters.sandbox[platform], sandbox: true };
      return { adapter: live, sandbox: false };
    },
    adapter(platform, sandbox) {
      return registry.select(platform, sandbox).adapter;
    },
  };
  return registry;
}
