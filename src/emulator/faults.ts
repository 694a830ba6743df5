import type { PlatformId } from '../platforms/registry.ts';

export interface Fault {
  status: number;
  /** Body to answer with; when absent the endpoint builds the platform's own error for the status. */
  body: unknown;
}

interface PendingFault {
  fault: Fault;
  remaining: number;
}

/** Injected failures, consumed one call at a time in the order they were added. Endpoints are each platform's `faultEndpoints`. */
export class FaultQueue {
  readonly #pending = new Map<string, PendingFault[]>();

  add(platform: PlatformId, endpoint: string, fault: Fault, times: number): void {
    const key = `${platform}:${endpoint}`;
    this.#pending.set(key, [...(this.#pending.get(key) ?? []), { fault, remaining: times }]);
  }

  take(platform: PlatformId, endpoint: string): Fault | undefined {
    const queue = this.#pending.get(`${platform}:${endpoint}`);
    const next = queue?.[0];
    if (!queue || !next) return undefined;
    next.remaining--;
    if (next.remaining <= 0) queue.shift();
    return next.fault;
  }

  clear(): void {
    this.#pending.clear();
  }
}
