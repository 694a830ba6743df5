import type { KeyObject } from 'node:crypto';
import type { Writable } from 'node:stream';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { Redis } from 'ioredis';
import { createApiKey, type NewApiKeyInput } from '../../src/api-keys/api-keys.ts';
import type { Engine } from '../../src/db/database.ts';
import { startEmulator, type RunningEmulator } from '../../src/emulator/main.ts';
import { buildApp } from '../../src/http/app.ts';
import type { AddressLimits } from '../../src/http/rate-limit.ts';
import { createOrganization } from '../../src/organizations/organizations.ts';
import { deriveKey } from '../../src/secrets/master-key.ts';
import { createServices, type Services } from '../../src/services.ts';
import { createTestBlobStore, type BlobBackend, type TestBlobStore } from './blob-backends.ts';
import type { SocialDeps } from '../../src/social/deps.ts';
import { createWebhookSender, type WebhookSender } from '../../src/webhooks/http-sender.ts';
import { ManualClock } from './manual-clock.ts';
import { openTestDatabase, type TestDatabase } from './engines.ts';
import { freePorts } from './server-process.ts';

export const TEST_MASTER_KEY = 'test-master-key-0123456789abcdef-0123456789';
const UNUSED_EMULATOR = 'http://127.0.0.1:9';

export interface TestApp extends Services {
  app: FastifyInstance;
  /** The blob store this app stores media in, with a look behind its back. */
  store: TestBlobStore;
  /** What the social-account flows of this app run on (database, clock, vault, platforms). */
  social: SocialDeps;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Replaces the real HTTP sender of webhook deliveries. */
  webhookSender?: WebhookSender;
  /** The master secret (default TEST_MASTER_KEY) and former ones still accepted, as after a rotation. */
  masterSecret?: string;
  previousMasterSecrets?: string[];
  /** Share rate-limit budgets through this Redis URL instead of in-process memory. */
  redisUrl?: string;
  /** Per-address budgets of the unauthenticated routes (default: the server's defaults). */
  addressLimits?: AddressLimits;
  /** Where the sandbox adapters send platform calls. */
  emulatorUrl?: string;
  publicBaseUrl?: string;
  /** The blob store (default: a fresh filesystem store); shared when two apps stand for two processes. */
  store?: TestBlobStore;
  /** What the server's outbound calls (the platforms) go through, e.g. to lose an answer. */
  fetch?: typeof fetch;
  /** Where the app's log lines go (at `info`); by default it logs nothing. */
  logStream?: Writable;
}

/**
 * One server process's services and app over a given database, built by the same `createServices`
 * the server uses; no background polling (tests call the `background` passes when they want them).
 * Tests build two over one database to stand for two processes of a deployment.
 */
export async function buildTestApp(database: TestDatabase, clock: ManualClock, options: TestAppOptions = {}): Promise<TestApp> {
  const redis = options.redisUrl ? new Redis(options.redisUrl) : null;
  const ownStore = options.store ? null : await createTestBlobStore('filesystem', clock);
  const store = (options.store ?? ownStore) as TestBlobStore;
  const services = createServices({
    blobs: store.blobs,
    database,
    clock,
    masterSecret: options.masterSecret ?? TEST_MASTER_KEY,
    previousMasterSecrets: options.previousMasterSecrets ?? [],
    redis,
    emulatorUrl: options.emulatorUrl ?? UNUSED_EMULATOR,
    livePlatforms: {},
    publicBaseUrl: options.publicBaseUrl ?? 'http://127.0.0.1:8080',
    ...(options.addressLimits ? { addressLimits: options.addressLimits } : {}),
    production: false,
    webhookSender: options.webhookSender ?? createWebhookSender({ blockPrivateAddresses: false, timeoutMs: 2_000 }),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const app = await buildApp(services, { logger: options.logStream ? { level: 'info', stream: options.logStream } : false, checkResponses: true });
  await app.ready();
  const { db, vault, platforms, publicBaseUrl, fetch: fetchImpl, blobs } = services;
  return {
    ...services,
    app,
    store,
    social: { db, clock, vault, platforms, publicBaseUrl, fetch: fetchImpl, blobs },
    async close() {
      await app.close();
      redis?.disconnect();
      await ownStore?.close();
    },
  };
}

export interface TestContext extends TestApp {
  database: TestDatabase;
  clock: ManualClock;
  apiKeyHashKey: KeyObject;
  /** The emulator this context started (with `emulator: true`), sharing the context's clock. */
  emulatorUrl: string | null;
  /** A new organization with one key; returns the ids and the key's secret. */
  tenant(options?: Partial<Omit<NewApiKeyInput, 'organizationId'>> & { orgName?: string }): Promise<Tenant>;
  /** Another key for an existing organization. */
  key(organizationId: string, options?: Partial<Omit<NewApiKeyInput, 'organizationId'>>): Promise<{ id: string; secret: string }>;
  call(request: CallOptions): Promise<LightMyRequestResponse>;
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
  redisUrl?: string;
  addressLimits?: AddressLimits;
  /** Where media is stored (default: the filesystem). */
  blobBackend?: BlobBackend;
  /** Where the context's clock starts (S3 checks presigned URLs against real time: content tests start at now). */
  clockStart?: Date;
  /** Start a platform emulator on a free port, on the context's clock. */
  emulator?: boolean;
  publicBaseUrl?: string;
  fetch?: typeof fetch;
  /** SQLite in this file instead of in memory, so that another connection can open it. */
  sqliteFile?: string;
  /** Where the app's log lines go (at `info`); by default it logs nothing. */
  logStream?: Writable;
}

export async function createTestContext(engine: Engine, options: TestContextOptions = {}): Promise<TestContext> {
  const database = await openTestDatabase(engine, options.sqliteFile ? { sqliteFile: options.sqliteFile } : {});
  const clock = new ManualClock(options.clockStart);
  const store = await createTestBlobStore(options.blobBackend ?? 'filesystem', clock);
  const apiKeyHashKey = deriveKey(TEST_MASTER_KEY, 'api-key-hash');
  const emulator: RunningEmulator | null = options.emulator
    ? await startEmulator({ port: 0, host: '127.0.0.1', now: () => clock.now().getTime() })
    : null;
  const testApp = await buildTestApp(database, clock, {
    ...(options.redisUrl ? { redisUrl: options.redisUrl } : {}),
    ...(options.addressLimits ? { addressLimits: options.addressLimits } : {}),
    ...(emulator ? { emulatorUrl: emulator.url } : {}),
    ...(options.publicBaseUrl ? { publicBaseUrl: options.publicBaseUrl } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.logStream ? { logStream: options.logStream } : {}),
    store,
  });

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
    ...testApp,
    database,
    clock,
    apiKeyHashKey,
    emulatorUrl: emulator?.url ?? null,
    key,
    async tenant(tenantOptions = {}) {
      const org = await createOrganization(database.db, clock, tenantOptions.orgName ?? 'Acme Apps');
      const created = await key(org.id, tenantOptions);
      return { organizationId: org.id, apiKeyId: created.id, secret: created.secret };
    },
    call({ method, url, key: secret, body, headers = {} }) {
      return testApp.app.inject({
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
      await testApp.close();
      await emulator?.close();
      await database.destroy();
      await store.close();
    },
  };
}

/** A context whose app listens on a real loopback port, its public URL pointing there. */
export interface ListeningTestContext extends TestContext {
  port: number;
}

/** Attempts at a free port before giving up (each one lost only to another process taking the port). */
const LISTEN_ATTEMPTS = 5;

/**
 * A context whose app listens on a loopback port, with its public URL (`http://<publicHost>:<port>`)
 * pointing there, for callers outside the process: a browser, the platforms fetching media. The URL
 * is part of the services, so the port is chosen before the app listens, and another process (test
 * files run four at a time) can take it in between. Then that attempt is closed and another port
 * tried: a context left open kept its emulator listening, and its test file never exited.
 */
export async function createListeningTestContext(
  engine: Engine,
  options: Omit<TestContextOptions, 'publicBaseUrl'> & { publicHost: 'localhost' | '127.0.0.1' },
): Promise<ListeningTestContext> {
  const { publicHost, ...contextOptions } = options;
  for (let attempt = 1; ; attempt++) {
    const [port] = (await freePorts(1)) as [number];
    const ctx = await createTestContext(engine, { ...contextOptions, publicBaseUrl: `http://${publicHost}:${port}` });
    try {
      await ctx.app.listen({ port, host: '127.0.0.1' });
      return Object.assign(ctx, { port });
    } catch (error) {
      await ctx.close();
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt === LISTEN_ATTEMPTS) throw error;
    }
  }
}
