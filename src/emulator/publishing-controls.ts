import type { PlatformId } from '../platforms/registry.ts';
import type { Fault } from './faults.ts';
import type { EmulatorState } from './state.ts';

/** How a creator's media is processed, as a test shaped it with `POST /_control/users/…/processing`. */
export interface ProcessingSettings {
  /** From media received to ready (the platform's processing, or a container in progress). */
  delaySeconds: number;
  /** From ready to the public post id being told (moderation of public posts, where a platform has it). */
  publicIdDelaySeconds: number;
}

const DEFAULT_PROCESSING: ProcessingSettings = { delaySeconds: 0, publicIdDelaySeconds: 0 };

/**
 * Per-creator publishing behaviour tests ask for: slower processing, and the next media processed
 * failing with a platform reason (a failure reason or error subcode of that platform's own).
 */
export class ProcessingControls {
  readonly #settings = new Map<string, ProcessingSettings>();
  readonly #failures = new Map<string, Array<{ reason: string; remaining: number }>>();

  settings(platform: PlatformId, username: string): ProcessingSettings {
    return this.#settings.get(`${platform}:${username}`) ?? DEFAULT_PROCESSING;
  }

  update(platform: PlatformId, username: string, changes: Partial<ProcessingSettings>): ProcessingSettings {
    const settings = { ...this.settings(platform, username), ...changes };
    this.#settings.set(`${platform}:${username}`, settings);
    return settings;
  }

  failNext(platform: PlatformId, username: string, reason: string, times: number): void {
    const key = `${platform}:${username}`;
    this.#failures.set(key, [...(this.#failures.get(key) ?? []), { reason, remaining: times }]);
  }

  /** The reason the next processed media of this creator fails with, if a test asked for one. */
  takeFailure(platform: PlatformId, username: string): string | undefined {
    const queue = this.#failures.get(`${platform}:${username}`);
    const next = queue?.[0];
    if (!queue || !next) return undefined;
    next.remaining--;
    if (next.remaining <= 0) queue.shift();
    return next.reason;
  }

  clearFailures(): void {
    this.#failures.clear();
  }
}

/** Publish-step faults share the fault queue, keyed by step and creator. */
function publishFaultKey(step: string, username: string): string {
  return `publish:${step}@${username}`;
}

export function addPublishFault(state: EmulatorState, platform: PlatformId, username: string, step: string, fault: Fault, times: number): void {
  state.faults.add(platform, publishFaultKey(step, username), fault, times);
}

/** The fault a test queued for this creator's next call to `step`, if any. */
export function takePublishFault(state: EmulatorState, platform: PlatformId, username: string, step: string): Fault | undefined {
  return state.faults.take(platform, publishFaultKey(step, username));
}
