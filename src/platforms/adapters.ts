import type { Clock } from '../clock.ts';
import type { PlatformAdapter } from './adapter.ts';
import type { PlatformEndpoints } from './http-client.ts';
import type { PlatformModule } from './module.ts';
import { createPlatformAdapter } from './oauth-core.ts';
import { PLATFORM_MODULES, type PlatformId } from './registry.ts';

/**
 * The platform apps a server talks to: the sandbox set always points at the bundled emulator;
 * the live set at the real platforms where credentials are configured.
 */
export interface PlatformAdapters {
  /** `sandbox` is the caller's wish (lp_test_ keys); the answer says which one it got. */
  select(platform: PlatformId, sandbox: boolean): { adapter: PlatformAdapter; sandbox: boolean };
  /** The adapter for an account or state that recorded where it was connected. */
  adapter(platform: PlatformId, sandbox: boolean): PlatformAdapter;
}

/** The bundled emulator serves each real host of a platform under `/<platform id><emulatorPath>` of its one port. */
export function emulatorEndpoints(module: PlatformModule, emulatorUrl: string): PlatformEndpoints {
  const endpoints: PlatformEndpoints = { clientId: module.emulator.credentials.clientId, clientSecret: module.emulator.credentials.clientSecret };
  for (const [host, { emulatorPath }] of Object.entries(module.app.hosts)) {
    endpoints[host as `${string}BaseUrl`] = `${emulatorUrl}/${module.id}${emulatorPath}`;
  }
  return endpoints;
}

/** Sandbox adapters on the emulator; live adapters where real credentials are configured. */
export function buildPlatformAdapters(options: {
  emulatorUrl: string;
  live: Partial<Record<PlatformId, PlatformEndpoints | null>>;
  clock: Clock;
  fetch: typeof fetch;
}): PlatformAdapters {
  const make = (module: PlatformModule, endpoints: PlatformEndpoints) =>
    createPlatformAdapter(module, { endpoints, clock: options.clock, fetch: options.fetch });
  const sandbox = new Map<string, PlatformAdapter>();
  const live = new Map<string, PlatformAdapter>();
  for (const module of PLATFORM_MODULES) {
    sandbox.set(module.id, make(module, emulatorEndpoints(module, options.emulatorUrl)));
    const endpoints = options.live[module.id];
    if (endpoints) live.set(module.id, make(module, endpoints));
  }
  const adapters: PlatformAdapters = {
    select(platform, wantsSandbox) {
      const liveAdapter = live.get(platform);
      // Sandbox keys never reach a real platform; live keys use the emulator until credentials exist.
      if (wantsSandbox || !liveAdapter) return { adapter: sandbox.get(platform) as PlatformAdapter, sandbox: true };
      return { adapter: liveAdapter, sandbox: false };
    },
    adapter(platform, wantsSandbox) {
      return adapters.select(platform, wantsSandbox).adapter;
    },
  };
  return adapters;
}
