import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { systemClock } from './clock.ts';
import type { Config } from './config.ts';
import { openDatabase, type DatabaseHandle } from './db/database.ts';
import { migrateToLatest } from './db/migrate.ts';
import { createDemoTenantIfEmpty, type DemoTenant } from './demo-tenant.ts';
import { buildApp } from './http/app.ts';
import { startEmulator, type RunningEmulator } from './emulator/main.ts';
import { purgeExpired } from './housekeeping.ts';
import { createRateLimiter } from './http/rate-limit.ts';
import { buildPlatformRegistry } from './platforms/endpoints.ts';
import { createOutboundFetch } from './outbound/dispatcher.ts';
import { startPolling } from './polling.ts';
import { deriveApiKeyHashKeys } from './secrets/master-key.ts';
import { startRefreshScheduler } from './social/refresh-scheduler.ts';
import { createTokenRefresher } from './social/token-refresh.ts';
import { createVault } from './vault/vault.ts';
import { createDeliveryWorker } from './webhooks/delivery-worker.ts';
import { createWebhookSender } from './webhooks/http-sender.ts';

const HOUSEKEEPING_INTERVAL_MS = 10 * 60 * 1000;

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  demoTenant: DemoTenant | null;
  /** The emulator this server started, if it started one. */
  emulatorUrl: string;
  close(): Promise<void>;
}

/**
 * Composes and starts everything `layers serve` runs: database and migrations, the platform
 * emulator (unless EMULATOR_URL names one), the HTTP app, the token refresher and the webhook
 * delivery worker. Every process runs all of them; the database coordinates.
 */
export async function startServer(config: Config): Promise<RunningServer> {
  const database: DatabaseHandle = openDatabase(config.databaseUrl);
  await migrateToLatest(database);
  const redis = config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false }) : null;
  redis?.on('error', () => {
    // Reconnects by itself; until then the rate limiter falls back to in-process budgets.
  });
  const apiKeyHashKeys = deriveApiKeyHashKeys(config.secretKey, config.previousSecretKeys);
  const emulator: RunningEmulator | null = config.emulatorUrl ? null : await startEmulator({ port: config.emulatorPort, host: config.host });
  const emulatorUrl = config.emulatorUrl ?? (emulator as RunningEmulator).url;
  const social = {
    db: database.db,
    clock: systemClock,
    vault: createVault({ masterSecret: config.secretKey, previousMasterSecrets: config.previousSecretKeys, clock: systemClock }),
    platforms: buildPlatformRegistry({ emulatorUrl, live: config.livePlatforms, clock: systemClock, fetch }),
    publicBaseUrl: config.publicBaseUrl,
    // Avatar URLs come from platform answers: fetched through the address guard (docs/security.md).
    fetch: createOutboundFetch({ blockPrivateAddresses: config.production, trustedOrigins: [emulatorUrl] }),
  };
  const refresher = createTokenRefresher(social);
  const app = await buildApp({
    ...social,
    apiKeyHashKeys,
    refresher,
    production: config.production,
    rateLimiter: createRateLimiter(redis, config.addressLimits),
    logger: config.logLevel === 'silent' ? false : { level: config.logLevel },
    trustProxy: config.trustProxy,
    metricsToken: config.metricsToken,
  });
  const scheduler = startRefreshScheduler(social, refresher, {
    intervalMs: config.refreshIntervalMs,
    onError: (error) => app.log.error({ err: error }, 'token refresh pass failed'),
  });
  const deliveries = createDeliveryWorker({
    db: database.db,
    engine: database.engine,
    clock: systemClock,
    vault: social.vault,
    send: createWebhookSender({ blockPrivateAddresses: config.production }),
  }).start({ intervalMs: config.webhookPollIntervalMs, onError: (error) => app.log.error({ err: error }, 'webhook delivery pass failed') });
  const housekeeping = startPolling(HOUSEKEEPING_INTERVAL_MS, () => purgeExpired(database.db, systemClock, config), (error) =>
    app.log.error({ err: error }, 'housekeeping failed'),
  );
  // A `*` key printed to the console is a development convenience, never a production default.
  const demoTenant = config.production ? null : await createDemoTenantIfEmpty(database.db, systemClock, apiKeyHashKeys.current);
  const url = await app.listen({ host: config.host, port: config.port });

  return {
    app,
    url,
    demoTenant,
    emulatorUrl,
    async close() {
      await housekeeping.stop();
      await scheduler.stop();
      await deliveries.stop();
      await app.close();
      await emulator?.close();
      redis?.disconnect();
      await database.destroy();
    },
  };
}
