import type { FastifyInstance } from 'fastify';
import type { EmulatorState } from './state.ts';

/** What every platform's emulator routes get: the shared state and where avatars are served. */
export interface EmulatorContext {
  state: EmulatorState;
  /** Origin used to build avatar URLs; the origin each request came in on when undefined. */
  publicBaseUrl: string | undefined;
}

/**
 * One platform's emulator (`src/emulator/<id>/`), as the emulator app and its control API see it.
 * `Options` are what a test may tune (lifetimes, PKCE mode); every field has a default.
 */
export interface PlatformEmulator<Options extends object = object> {
  /** The app credentials the emulator accepts: the sandbox's. */
  readonly credentials: { readonly clientId: string; readonly clientSecret: string };
  /** Calls a test can make fail through `POST /_control/faults`. */
  readonly faultEndpoints: readonly string[];
  /** Kinds of user `POST /_control/users/:platform/:username` can create; the first is what a consent creates. */
  readonly accountTypes: readonly [string, ...string[]];
  /** Error subcodes `…/revoke` may ask later calls to report (Graph-style 458, 460, 467); empty when the platform has none. */
  readonly revokeSubcodes: readonly number[];
  /** The platform's id for a username: derived from the name, so stable across instances and restarts. */
  userId(username: string): string;
  /** Registers the platform's routes; the app mounts them under `/<platform id>`. */
  register(scope: FastifyInstance, context: EmulatorContext, options: Partial<Options>): void;
}

/** Declares an emulator, keeping its options type for EmulatorOptions. */
export function defineEmulator<Options extends object>(emulator: PlatformEmulator<Options>): PlatformEmulator<Options> {
  return emulator;
}
