import type { AddressInfo } from 'node:net';
import { buildEmulator } from './app.ts';
import type { EmulatorOptions } from './config.ts';

export interface StartEmulatorOptions extends EmulatorOptions {
  /** 0 picks a free port; the returned `url` carries the real one. */
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
}

export interface RunningEmulator {
  url: string;
  close(): Promise<void>;
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Starts an emulator listening on `host:port`. Without `publicBaseUrl`, avatar URLs use the origin
 * each request came in on, which is `url` for clients that were given `url`.
 */
export async function startEmulator(options: StartEmulatorOptions): Promise<RunningEmulator> {
  const { port, host = '127.0.0.1', ...emulatorOptions } = options;
  const app = buildEmulator(emulatorOptions);
  await app.listen({ port, host });
  const address = app.server.address() as AddressInfo;
  return {
    url: `http://${urlHost(host)}:${address.port}`,
    close: () => app.close(),
  };
}
