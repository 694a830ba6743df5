import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { Redis } from 'ioredis';
import { createApiKey, type NewApiKeyInput } from '../../src/api-keys/api-keys.ts';
import type { Engine } from '../../src/db/database.ts';
import { buildApp } from '../../src/http/app.ts';
import { createRateLimiter } from '../../src/http/rate-limit.ts';
import { createOrganization } from '../../src/organizations/organizations.ts';
import { deriveKey } from '../../src/secrets/master-key.ts';
import { ManualClock } from './manual-clock.ts';
import { openTestDatabase, type TestDatabase } from './engines.ts';

export const TEST_MASTER_KEY = 'test-master-key-0123456789abcdef-0123456789';

export interface TestContext {
  app: FastifyInstance;
  database: TestDatabase;
  clock: ManualClock;
  apiKeyHashKey: Buffer;
  /** A new organization with one key; returns the ids and the key's secret. */
  tenant(options?: Partial<Omit<NewApiKeyInput, 'organizationId'>> & { orgName?: string }): Promise<Tenant>;
  /** Another key for an existing organization. */
  key(organizationId: string, options?: Partial<Omit<NewApiKeyInput, 'organizationId'>>): Promise<{ id: string; secret: string }>;
  call(request: CallOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export interface Tenant {
  organizationId: string;
  apiKeyId: string;
  secret: string;
}

export interface CallOptions {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
  url: string;
  key?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface TestContextOptions {
  /** Share rate-limit budgets through this Redis URL instead of in-process memory. */
  redisUrl?: string;
}

export async function createTestContext(engine: Engine, options: TestContextOptions = {}): Promise<TestContext> {
  const database = await openTestDatabase(engine);
  const clock = new ManualClock();
  const apiKeyHashKey = deriveKey(TEST_MASTER_KEY, 'api-key-hash');
  const redis = options.redisUrl ? new Redis(options.redisUrl) : null;
  const app = await buildApp({
    db: database.db,
    clock,
    apiKeyHashKey,
    rateLimiter: createRateLimiter(redis),
    publicBaseUrl: 'http://127.0.0.1:8080',
    logger: false,
  });
  await app.ready();

  const key: TestContext['key'] = async (organizationId, keyOptions = {}) => {
    const { apiKey, secret } = await createApiKey(database.db, clock, apiKeyHashKey, {
      organizationId,
      env: keyOptions.env ?? 'test',
      scopes: keyOptions.scopes ?? ['*'],
      returnDomains: keyOptions.returnDomains ?? ['localhost', 'app.example.com'],
      tier: keyOptions.tier ?? 'internal',
      name: keyOptions.name ?? null,
    });
    return { id: apiKey.id, secret };
  };

  return {
    app,
    database,
    clock,
    apiKeyHashKey,
    key,
    async tenant(tenantOptions = {}) {
      const org = await createOrganization(database.db, clock, tenantOptions.orgName ?? 'Acme Apps');
      const created = await key(org.id, tenantOptions);
      return { organizationId: org.id, apiKeyId: created.id, secret: created.secret };
    },
    call({ method, url, key: secret, body, headers = {} }) {
      return app.inject({
        method,
        url,
        headers: {
          ...(secret ? { authorization: `Bearer ${secret}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
    },
    async close() {
      await app.close();
      redis?.disconnect();
      await database.destroy();
    },
  };
}
