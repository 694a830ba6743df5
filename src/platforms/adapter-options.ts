import type { Clock } from '../clock.ts';
import type { PlatformEndpoints } from './platform.ts';

/** What both adapter factories take: where to send requests, what time it is, how to send. */
export interface PlatformAdapterOptions {
  endpoints: PlatformEndpoints;
  clock: Clock;
  /** Injected in tests to simulate network failures; defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Per request, including reading the body; default 10 s. */
  timeoutMs?: number;
}
