import { PLATFORM_MODULES, type PlatformId } from '../platforms/registry.ts';
import type { PlatformEmulator } from './platform-emulator.ts';

type Module = (typeof PLATFORM_MODULES)[number];
type OptionsOf<E> = E extends PlatformEmulator<infer Options> ? Partial<Options> : never;

/**
 * How to run one emulator: its clock, the origin of its avatar URLs, and per platform (keyed by
 * the platform id) whatever that platform's emulator lets a test tune, e.g. `{ <platform id>: { accessTokenTtlSeconds: 60 } }`.
 */
export type EmulatorOptions = {
  /** Injectable clock, epoch ms (default Date.now); all expiry logic uses it. */
  now?: () => number;
  /** Origin used to build avatar URLs; defaults to the origin each request came in on. */
  publicBaseUrl?: string;
  logger?: boolean;
} & { [M in Module as M['id']]?: OptionsOf<M['emulator']> };

/** The app credentials each platform's emulator accepts: what sandbox adapters send. */
export const EMULATOR_DEFAULT_CREDENTIALS = Object.fromEntries(
  PLATFORM_MODULES.map((module) => [module.id, module.emulator.credentials]),
) as Record<PlatformId, { readonly clientId: string; readonly clientSecret: string }>;
