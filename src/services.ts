import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { ApiKeyHashKeys } from './api-keys/authenticate.ts';
import type { Clock } from './clock.ts';
import type { DatabaseHandle, Engine } from './db/database.ts';
import type { Database } from './db/schema.ts';
import { purgeExpired } from './housekeeping.ts';
import { createRateLimiter, type RateLimiter } from './http/rate-limit.ts';
import { buildPlatformAdapters, type PlatformAdapters } from './platforms/adapters.ts';
import type { PlatformEndpoints } from './platforms/http-client.ts';
import type { PlatformId } from './platforms/registry.ts';
import { startPolling } from './polling.ts';
import { deriveApiKeyHashKeys } from './secrets/master-key.ts';
import { createCredentials, type Credentials } from './social/credentials.ts';
import { refreshDueAccounts } from './social/refresh-scheduler.ts';
import { createTokenRefresher, type TokenRefresher } from './social/token-refresh.ts';
import { createVault, type Vault } from './vault/vault.ts';
import { createDeliveryWorker, type DeliveryWorker } from './webhooks/delivery-worker.ts';
import { createWebhookSender, type WebhookSender } from './webhooks/http-sender.ts';

/** What one server process is made of. Built by `createServices` for the server and the tests alike. */
export interface Services {
  db: Kysely<Database>;
  engine: Engine;
  clock: Clock;
  vault: Vault;
  platforms: PlatformAdapters;
  refresher: TokenRefresher;
  credentials: Credentials;
  apiKeyHashKeys: ApiKeyHashKeys;
  rateLimiter: RateLimiter;
  /** Base of the server's own URLs (OAuth callback, media). */
  publicBaseUrl: string;
  /** Production mode: https-only webhooks, private addresses refused. */
  production: boolean;
  /** Outbound HTTP for copying avatars. */
  fetch: typeof fetch;
  deliveries: DeliveryWorker;
  /** Everything that runs in the background, one pass each; `startBackgroundWork` repeats them. */
  background: BackgroundWork;
}

export interface BackgroundWork {
  refreshDueTokens(): Promise<unknown>;
  deliverWebhooks(): Promise<unknown>;
  housekeeping(): Promise<unknown>;
}

export interface ServiceOptions {
  database: DatabaseHandle;
  clock: Clock;
  /** LAYERS_SECRET_KEY, and former ones still accepted until `layers admin vault rotate`. */
  masterSecret: string;
  previousMasterSecrets: readonly string[];
  /** Shares rate-limit budgets across processes; null keeps them in memory. */
  redis: Redis | null;
  /** Where sandbox platform calls go: the bundled emulator. */
  emulatorUrl: string;
  livePlatforms: Partial<Record<PlatformId, PlatformEndpoints | null>>;
  publicBaseUrl: string;
  production: boolean;
  fetch?: typeof fetch;
  /** Replaces the real HTTP sender of webhook deliveries (tests). */
  webhookSender?: WebhookSender;
}

export function createServices(options: ServiceOptions): Services {
  const { database, clock } = options;
  const db = database.db;
  const fetchImpl = options.fetch ?? fetch;
  const vault = createVault({ masterSecret: options.masterSecret, previousMasterSecrets: [...options.previousMasterSecrets], clock });
  const platforms = buildPlatformAdapters({ emulatorUrl: options.emulatorUrl, live: options.livePlatforms, clock, fetch: fetchImpl });
  const social = { db, clock, vault, platforms, publicBaseUrl: options.publicBaseUrl, fetch: fetchImpl };
  const refresher = createTokenRefresher(social);
  const credentials = createCredentials(social, refresher);
  const deliveries = createDeliveryWorker({
    db,
    engine: database.engine,
    clock,
    vault,
    send: options.webhookSender ?? createWebhookSender({ blockPrivateAddresses: options.production }),
  });
  return {
    ...social,
    engine: database.engine,
    refresher,
    credentials,
    apiKeyHashKeys: deriveApiKeyHashKeys(options.masterSecret, [...options.previousMasterSecrets]),
    rateLimiter: createRateLimiter(options.redis),
    production: options.production,
    deliveries,
    background: {
      refreshDueTokens: () => refreshDueAccounts(social, credentials),
      deliverWebhooks: () => deliveries.runOnce(),
      housekeeping: () => purgeExpired(db, clock),
    },
  };
}

export interface BackgroundIntervals {
  refreshMs: number;
  webhookPollMs: number;
  housekeepingMs: number;
}

/** Runs every background pass on its interval until stopped; each pass is safe in every process at once. */
export function startBackgroundWork(
  services: Services,
  intervals: BackgroundIntervals,
  onError: (work: keyof BackgroundWork, error: unknown) => void,
): { stop(): Promise<void> } {
  const { background } = services;
  const loops = [
    startPolling(intervals.refreshMs, background.refreshDueTokens, (error) => onError('refreshDueTokens', error)),
    startPolling(intervals.webhookPollMs, background.deliverWebhooks, (error) => onError('deliverWebhooks', error)),
    startPolling(intervals.housekeepingMs, background.housekeeping, (error) => onError('housekeeping', error)),
  ];
  return {
    async stop() {
      await Promise.all(loops.map((loop) => loop.stop()));
    },
  };
}
