import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { systemClock } from './clock.ts';
import type { Config } from './config.ts';
import { openDatabase, type DatabaseHandle } from './db/database.ts';
import { migrateToLatest } from './db/migrate.ts';
import { createDemoTenantIfEmpty, type DemoTenant } from './demo-tenant.ts';
import { buildApp } from './http/app.ts';
import { createRateLimiter } from './http/rate-limit.ts';
import { deriveKey } from './secrets/master-key.ts';

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  demoTenant: DemoTenant | null;
  close(): Promise<void>;
}

/** Composes and starts everything `layers serve` runs: database, migrations, HTTP app. */
export async function startServer(config: Config): Promise<RunningServer> {
  const database: DatabaseHandle = openDatabase(config.databaseUrl);
  await migrateToLatest(database);
  const redis = config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false }) : null;
  redis?.on('error', () => {
    // Reconnects by itself; until then the rate limiter falls back to in-process budgets.
  });
  const apiKeyHashKey = deriveKey(config.secretKey, 'api-key-hash');
  const app = await buildApp({
    db: database.db,
    clock: systemClock,
    apiKeyHashKey,
    rateLimiter: createRateLimiter(redis),
    publicBaseUrl: config.publicBaseUrl,
    logger: config.logLevel === 'silent' ? false : { level: config.logLevel },
  });
  const demoTenant = await createDemoTenantIfEmpty(database.db, systemClock, apiKeyHashKey);
  const url = await app.listen({ host: config.host, port: config.port });

  return {
    app,
    url,
    demoTenant,
    async close() {
      await app.close();
      redis?.disconnect();
      await database.destroy();
    },
  };
}
