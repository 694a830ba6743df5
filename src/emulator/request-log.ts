import type { FastifyInstance } from 'fastify';
import type { EmulatorClock } from './clock.ts';
import type { PlatformId } from '../platforms/registry.ts';

export interface LoggedRequest {
  at: string;
  platform: PlatformId;
  method: string;
  path: string;
  grantType?: string;
}

/** Every platform API call the emulator answered, so tests can count e.g. refreshes. */
export class RequestLog {
  #entries: LoggedRequest[] = [];

  record(entry: LoggedRequest): void {
    this.#entries.push(entry);
  }

  list(): LoggedRequest[] {
    return [...this.#entries];
  }

  clear(): void {
    this.#entries = [];
  }
}

function grantTypeOf(source: unknown): string | undefined {
  if (typeof source !== 'object' || source === null) return undefined;
  const value = (source as Record<string, unknown>)['grant_type'];
  return typeof value === 'string' ? value : undefined;
}

/** Records every request routed inside `scope` (one platform's hosts) once its body is parsed. */
export function logPlatformRequests(
  scope: FastifyInstance,
  platform: PlatformId,
  log: RequestLog,
  clock: EmulatorClock,
): void {
  scope.addHook('preHandler', async (request) => {
    const grantType = grantTypeOf(request.body) ?? grantTypeOf(request.query);
    log.record({
      at: new Date(clock.now()).toISOString(),
      platform,
      method: request.method,
      path: request.url.split('?')[0] ?? request.url,
      ...(grantType === undefined ? {} : { grantType }),
    });
  });
}
