import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { createAuthenticator, type ApiKeyHashKeys, type Authenticator } from './api-keys/authenticate.ts';
import type { Clock } from './clock.ts';
import type { DatabaseHandle, Engine } from './db/database.ts';
import type { ListVersions } from './db/list-versions.ts';
import type { Database } from './db/schema.ts';
import { sweepUploadSessions } from './content/direct-upload.ts';
import { createMediaFetch, type MediaFetch } from './content/media-fetch.ts';
import { publishAssets } from './content/publish-assets.ts';
import { DEFAULT_AUDIT_RETENTION_DAYS, purgeExpired } from './housekeeping.ts';
import { periodicQueue, type PeriodicTask } from './jobs/periodic.ts';
import { queueRunner, startQueues, type Queue, type QueueRunner } from './jobs/runner.ts';
import { DEFAULT_LISTED_PAGES_CACHE_MB, ListedPages } from './http/listed-pages.ts';
import { createRateLimiter, type AddressLimits, type RateLimiter } from './http/rate-limit.ts';
import { DEFAULT_METRICS_SYNC_INTERVAL_MS } from './metrics/hours.ts';
import { metricsSyncQueue } from './metrics/sync.ts';
import { buildPlatformAdapters, type PlatformAdapters } from './platforms/adapters.ts';
import type { PlatformEndpoints } from './platforms/http-client.ts';
import type { PlatformId } from './platforms/registry.ts';
import { expireHolds } from './posts/holds.ts';
import { publishQueue } from './posts/publisher.ts';
import { deriveApiKeyHashKeys, deriveHashKeys, type HashKeys } from './secrets/master-key.ts';
import { createCredentials, type Credentials } from './social/credentials.ts';
import { tokenRefreshQueue } from './social/refresh-queue.ts';
import { createTokenRefresher, type TokenRefresher } from './social/token-refresh.ts';
import type { BlobStore } from './storage/blob-store.ts';
import { createVault, type Vault } from './vault/vault.ts';
import { deliveryQueue } from './webhooks/delivery-worker.ts';
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
  /** What reconnect links' tokens are hashed with (docs/reference/reconnect-links.md). */
  reconnectLinkHashKeys: HashKeys;
  /** API-key authentication with its freshness-checked cache (docs/performance.md). */
  authenticate: Authenticator;
  /** Listed pages served again from memory while their list's version stands (docs/performance.md). */
  listedPages: ListedPages;
  listVersions: ListVersions;
  rateLimiter: RateLimiter;
  /** Base of the server's own URLs (OAuth callback, media). */
  publicBaseUrl: string;
  /** Production mode: https-only webhooks, private addresses refused. */
  production: boolean;
  /** Outbound HTTP for copying avatars. */
  fetch: typeof fetch;
  /** Where avatars and uploaded media live: a directory or an S3 bucket (src/storage). */
  blobs: BlobStore;
  /** Fetches partners' media URLs through the address guard. */
  fetchMedia: MediaFetch;
  /** Everything that runs in the background: queues of the one job mechanism (docs/design/jobs.md). */
  queues: BackgroundQueues;
  /** One pass of a queue, for tests that drive background work by hand. */
  deliveries: QueueRunner;
  tokenRefresh: QueueRunner;
  publishing: QueueRunner;
  periodicTasks: QueueRunner;
  metricsSync: QueueRunner;
}

export interface BackgroundQueues {
  deliveries: Queue<{ id: string }>;
  tokenRefresh: Queue<{ id: string }>;
  publishing: Queue<{ id: string }>;
  periodicTasks: Queue<{ id: string }>;
  metricsSync: Queue<{ id: string }>;
}

/** How often an idle process looks for each kind of due work. */
export interface PollIntervals {
  webhookPollMs: number;
  refreshPollMs: number;
  publishPollMs: number;
  periodicPollMs: number;
  metricsPollMs: number;
}

const DEFAULT_INTERVALS: PollIntervals = { webhookPollMs: 250, refreshPollMs: 30_000, publishPollMs: 1_000, periodicPollMs: 30_000, metricsPollMs: 60_000 };
/** Holds that reached their end are failed within this long. */
const HOLD_EXPIRY_INTERVAL_MS = 60 * 1000;
const HOUSEKEEPING_INTERVAL_MS = 10 * 60 * 1000;
const UPLOAD_SWEEP_INTERVAL_MS = 10 * 60 * 1000;

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
  blobs: BlobStore;
  fetch?: typeof fetch;
  /** Replaces the guarded fetcher of partners' media URLs (tests). */
  fetchMedia?: MediaFetch;
  /** Replaces the real HTTP sender of webhook deliveries (tests). */
  webhookSender?: WebhookSender;
  intervals?: Partial<PollIntervals>;
  /** Per-address budgets of the routes without an API key (docs/security.md). */
  addressLimits?: AddressLimits;
  /** How long the audit log keeps its rows (AUDIT_RETENTION_DAYS). */
  auditRetentionDays?: number;
  /** Memory for listed pages served again while unchanged (LISTED_PAGES_CACHE_MB). */
  listedPagesMaxBytes?: number;
  /** How often each account's metrics are read (METRICS_SYNC_INTERVAL_SECONDS). */
  metricsSyncIntervalMs?: number;
}

export function createServices(options: ServiceOptions): Services {
  const { database, clock } = options;
  const db = database.db;
  const fetchImpl = options.fetch ?? fetch;
  const vault = createVault({ masterSecret: options.masterSecret, previousMasterSecrets: [...options.previousMasterSecrets], clock });
  const platforms = buildPlatformAdapters({ emulatorUrl: options.emulatorUrl, live: options.livePlatforms, clock, fetch: fetchImpl });
  const blobs = options.blobs;
  const social = { db, clock, vault, platforms, publicBaseUrl: options.publicBaseUrl, fetch: fetchImpl, blobs };
  const refresher = createTokenRefresher(social);
  const credentials = createCredentials(social, refresher);
  const intervals = { ...DEFAULT_INTERVALS, ...options.intervals };
  const apiKeyHashKeys = deriveApiKeyHashKeys(options.masterSecret, [...options.previousMasterSecrets]);
  const jobDeps = { db, engine: database.engine, clock };
  const periodicTasks: PeriodicTask[] = [
    { name: 'housekeeping', intervalMs: HOUSEKEEPING_INTERVAL_MS, run: () => purgeExpired(database, clock, { auditRetentionDays: options.auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS }) },
    { name: 'content-upload-sweep', intervalMs: UPLOAD_SWEEP_INTERVAL_MS, run: () => sweepUploadSessions({ db, clock, blobs }) },
    { name: 'expire-holds', intervalMs: HOLD_EXPIRY_INTERVAL_MS, run: () => expireHolds(db, clock) },
  ];
  const queues: BackgroundQueues = {
    deliveries: deliveryQueue(
      { ...jobDeps, vault, send: options.webhookSender ?? createWebhookSender({ blockPrivateAddresses: options.production }) },
      intervals.webhookPollMs,
    ),
    tokenRefresh: tokenRefreshQueue({ ...social, engine: database.engine, refresher }, intervals.refreshPollMs),
    publishing: publishQueue(
      { ...jobDeps, credentials, assetsOf: (containerId) => publishAssets({ db, blobs, publicBaseUrl: options.publicBaseUrl }, containerId) },
      intervals.publishPollMs,
    ),
    periodicTasks: periodicQueue(jobDeps, periodicTasks, intervals.periodicPollMs),
    metricsSync: metricsSyncQueue(
      { ...jobDeps, credentials, intervalMs: options.metricsSyncIntervalMs ?? DEFAULT_METRICS_SYNC_INTERVAL_MS },
      intervals.metricsPollMs,
    ),
  };
  return {
    ...social,
    engine: database.engine,
    refresher,
    credentials,
    apiKeyHashKeys,
    reconnectLinkHashKeys: deriveHashKeys('reconnect-link-hash', options.masterSecret, options.previousMasterSecrets),
    authenticate: createAuthenticator(db, apiKeyHashKeys, database.authVersion),
    listedPages: new ListedPages(options.listedPagesMaxBytes ?? DEFAULT_LISTED_PAGES_CACHE_MB * 1024 * 1024),
    listVersions: database.listVersions,
    rateLimiter: createRateLimiter(options.redis, options.addressLimits),
    production: options.production,
    fetchMedia: options.fetchMedia ?? createMediaFetch({ production: options.production }),
    queues,
    deliveries: queueRunner(queues.deliveries),
    tokenRefresh: queueRunner(queues.tokenRefresh),
    publishing: queueRunner(queues.publishing),
    periodicTasks: queueRunner(queues.periodicTasks),
    metricsSync: queueRunner(queues.metricsSync),
  };
}

/** Runs every queue on its poll interval until stopped; each is safe in every process at once. */
export function startBackgroundWork(services: Services, onError: (queue: string, error: unknown) => void): { stop(): Promise<void> } {
  return startQueues(Object.values(services.queues), onError);
}
