import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { systemClock } from './clock.ts';
import type { Config } from './config.ts';
import { openDatabase } from './db/database.ts';
import { migrateToLatest } from './db/migrate.ts';
import { moveLegacyMedia } from './media/media-store.ts';
import { createBlobStore } from './storage/index.ts';
import { createDemoTenantIfEmpty, type DemoTenant } from './demo-tenant.ts';
import { startEmulator, type RunningEmulator } from './emulator/main.ts';
import { buildApp } from './http/app.ts';
import { createServices, startBackgroundWork } from './services.ts';
import { createOutboundFetch } from './outbound/dispatcher.ts';

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
 * emulator (unless EMULATOR_URL names one), the services (services.ts, shared with the tests), the
 * HTTP app and the background work. Every process runs all of them; the database coordinates.
 */
export async function startServer(config: Config): Promise<RunningServer> {
  const database = openDatabase(config.databaseUrl);
  await migrateToLatest(database);
  // Loaded only when configured: ioredis is about 10 MB of an idle process (docs/performance.md, "Memory").
  const redis: Redis | null = config.redisUrl
    ? new (await import('ioredis')).Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false })
    : null;
  redis?.on('error', () => {
    // Reconnects by itself; until then the rate limiter falls back to in-process budgets.
  });
  const emulator: RunningEmulator | null = config.emulatorUrl ? null : await startEmulator({ port: config.emulatorPort, host: config.host });
  const emulatorUrl = config.emulatorUrl ?? (emulator as RunningEmulator).url;
  const blobs = await createBlobStore(config.storage, systemClock, config.dataDir);
  // Avatars stored in the database before the blob store existed move into it once (0007_content).
  await moveLegacyMedia(database.db, blobs);
  const services = createServices({
    blobs,
    database,
    clock: systemClock,
    masterSecret: config.secretKey,
    previousMasterSecrets: config.previousSecretKeys,
    redis,
    emulatorUrl,
    livePlatforms: config.livePlatforms,
    publicBaseUrl: config.publicBaseUrl,
    production: config.production,
    // Avatar URLs come from platform answers: fetched through the address guard (docs/security.md).
    fetch: createOutboundFetch({ blockPrivateAddresses: config.production, trustedOrigins: [emulatorUrl] }),
    addressLimits: config.addressLimits,
    auditRetentionDays: config.auditRetentionDays,
    listedPagesMaxBytes: config.listedPagesMaxBytes,
    metricsSyncIntervalMs: config.metricsSyncIntervalMs,
    intervals: { webhookPollMs: config.webhookPollIntervalMs, refreshPollMs: config.refreshIntervalMs },
  });
  const app = await buildApp(services, {
    logger: config.logLevel === 'silent' ? false : { level: config.logLevel },
    trustProxy: config.trustProxy,
    metricsToken: config.metricsToken,
  });
  const background = startBackgroundWork(services, (queue, error) => app.log.error({ err: error, queue }, 'background work failed'));
  // A `*` key printed to the console is a development convenience, never a production default.
  const demoTenant = config.production ? null : await createDemoTenantIfEmpty(database.db, systemClock, services.apiKeyHashKeys.current);
  const url = await app.listen({ host: config.host, port: config.port });

  return {
    app,
    url,
    demoTenant,
    emulatorUrl,
    async close() {
      await background.stop();
      await app.close();
      await emulator?.close();
      redis?.disconnect();
      await database.destroy();
    },
  };
}
