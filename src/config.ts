import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { DEFAULT_AUDIT_RETENTION_DAYS } from './housekeeping.ts';
import { DEFAULT_LISTED_PAGES_CACHE_MB } from './http/listed-pages.ts';
import { DEFAULT_ADDRESS_LIMITS, type AddressLimits } from './http/rate-limit.ts';
import { DEFAULT_METRICS_SYNC_INTERVAL_MS } from './metrics/hours.ts';
import type { PlatformEndpoints } from './platforms/http-client.ts';
import type { PlatformSetting } from './platforms/module.ts';
import { PLATFORM_MODULES, type PlatformId } from './platforms/registry.ts';

/** Everything the server reads from its environment, validated once at start. */
export interface Config {
  production: boolean;
  host: string;
  port: number;
  databaseUrl: string;
  redisUrl: string | null;
  publicBaseUrl: string;
  dataDir: string;
  secretKey: string;
  /** Set when the secret key was generated into the data directory (development only). */
  generatedSecretKeyPath: string | null;
  /** Master secrets that came before LAYERS_SECRET_KEY, still accepted until `layers admin vault rotate`. */
  previousSecretKeys: string[];
  emulatorPort: number;
  /** An emulator already running elsewhere; when null, `serve` starts one on emulatorPort. */
  emulatorUrl: string | null;
  /** Real platform apps, null where not configured (live keys use the emulator for those). */
  livePlatforms: Record<PlatformId, PlatformEndpoints | null>;
  refreshIntervalMs: number;
  webhookPollIntervalMs: number;
  logLevel: string;
  /** Proxies allowed to name the client in X-Forwarded-For: none, all, a hop count, or addresses/CIDRs. */
  trustProxy: boolean | number | string[];
  /** Per-address budgets of the unauthenticated routes, requests per minute (docs/security.md). */
  addressLimits: AddressLimits;
  /** When set, GET /metrics asks for `Authorization: Bearer <token>`. */
  metricsToken: string | null;
  auditRetentionDays: number;
  /** Memory for listed pages served again while unchanged (docs/performance.md, "Listed pages"); 0 keeps none. */
  listedPagesMaxBytes: number;
  /** How often each connected account's posts and followers are read (docs/reference/metrics.md, "Syncing"). */
  metricsSyncIntervalMs: number;
  /** Where uploaded media and avatars live (docs/reference/content.md). */
  storage: StorageConfig;
}

/** The blob store: a directory this server serves itself, or an S3-compatible bucket. */
export type StorageConfig =
  | { kind: 'filesystem'; directory: string }
  | {
      kind: 's3';
      bucket: string;
      /** Null: AWS S3 itself; otherwise any S3-compatible endpoint (MinIO, R2, …). */
      endpoint: string | null;
      region: string;
      /** Null: the AWS SDK's default credential chain (instance roles, AWS_PROFILE, …). */
      credentials: { accessKeyId: string; secretAccessKey: string } | null;
      forcePathStyle: boolean;
      /** Set when the bucket (or a CDN before it) serves objects publicly: asset URLs point there. */
      publicBaseUrl: string | null;
    };

export class ConfigError extends Error {}

const envSchema = z.object({
  NODE_ENV: z.string().optional(),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  DATABASE_URL: z
    .string()
    .refine((v) => v.startsWith('sqlite:') || /^postgres(ql)?:\/\//.test(v), {
      message: 'must be sqlite:<path> or postgres://…',
    })
    .optional(),
  REDIS_URL: z
    .string()
    .refine((v) => /^rediss?:\/\//.test(v), { message: 'must be redis://… or rediss://…' })
    .optional(),
  PUBLIC_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  LAYERS_SECRET_KEY: z.string().min(32, 'must be at least 32 characters (e.g. 32 random bytes, base64url)').optional(),
  LAYERS_PREVIOUS_SECRET_KEYS: z.string().optional(),
  EMULATOR_PORT: z.coerce.number().int().min(0).max(65535).default(8090),
  EMULATOR_URL: z.url({ protocol: /^https?$/ }).optional(),
  REFRESH_INTERVAL_SECONDS: z.coerce.number().min(1).max(3600).default(30),
  WEBHOOK_POLL_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(250),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((value, ctx): boolean | number | string[] => {
      if (value === 'false' || value === 'true') return value === 'true';
      if (/^\d{1,2}$/.test(value)) return Number(value);
      const entries = value.split(',').map((entry) => entry.trim());
      if (entries.every((entry) => ipaddr.isValid(entry) || ipaddr.isValidCIDR(entry))) return entries;
      ctx.addIssue({ code: 'custom', message: 'must be false, true, a hop count, or a comma-separated list of proxy addresses/CIDRs' });
      return z.NEVER;
    }),
  CALLBACK_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(DEFAULT_ADDRESS_LIMITS.callback),
  PUBLIC_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(DEFAULT_ADDRESS_LIMITS.public),
  UPLOAD_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(DEFAULT_ADDRESS_LIMITS.upload),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(DEFAULT_AUDIT_RETENTION_DAYS),
  LISTED_PAGES_CACHE_MB: z.coerce.number().int().min(0).max(4096).default(DEFAULT_LISTED_PAGES_CACHE_MB),
  METRICS_SYNC_INTERVAL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(DEFAULT_METRICS_SYNC_INTERVAL_MS / 1000),
  MEDIA_DIR: z.string().min(1).optional(),
  S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name').optional(),
  S3_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  S3_REGION: z.string().min(1).optional(),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  AWS_ACCESS_KEY_ID: z.string().min(1).optional(),
  AWS_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  AWS_REGION: z.string().min(1).optional(),
  S3_FORCE_PATH_STYLE: z.enum(['true', 'false', '1', '0']).optional(),
  S3_PUBLIC_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
});

/**
 * Each platform module names its own variables: the live app's credentials and one base URL per
 * host (defaulting to the real one); docs/operations.md lists them per platform.
 */
const platformEnvSchema = z.object(
  Object.fromEntries(
    PLATFORM_MODULES.flatMap((module) => [
      [module.app.clientIdEnv, z.string().optional()],
      [module.app.clientSecretEnv, z.string().optional()],
      ...Object.values(module.app.hosts).map((host) => [host.env, z.url().default(host.production)] as const),
      ...Object.values(module.app.settings ?? {}).map((setting) => [setting.env, settingSchema(setting)] as const),
    ]),
  ) as Record<string, z.ZodType<string | undefined>>,
);

function settingSchema(setting: PlatformSetting): z.ZodType<string | undefined> {
  return z
    .string()
    .optional()
    .superRefine((value, context) => {
      const problem = value === undefined ? null : (setting.check?.(value) ?? null);
      if (problem !== null) context.addIssue({ code: 'custom', message: problem });
    });
}

const SECRET_KEY_FILE = 'secret.key';

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const values = emptyToUndefined(env);
  const parsed = envSchema.safeParse(values);
  const platformVars = platformEnvSchema.safeParse(values);
  if (!parsed.success || !platformVars.success) {
    const issues = [...(parsed.error?.issues ?? []), ...(platformVars.error?.issues ?? [])];
    const lines = issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const dataDir = path.resolve(e.DATA_DIR);
  const secret = resolveSecretKey(e.LAYERS_SECRET_KEY, production, dataDir);
  return {
    production,
    host: e.HOST,
    port: e.PORT,
    databaseUrl: e.DATABASE_URL ?? `sqlite:${path.join(e.DATA_DIR, 'layers.db')}`,
    redisUrl: e.REDIS_URL ?? null,
    publicBaseUrl: (e.PUBLIC_BASE_URL ?? `http://${browsableHost(e.HOST)}:${e.PORT}`).replace(/\/+$/, ''),
    dataDir,
    secretKey: secret.key,
    generatedSecretKeyPath: secret.generatedPath,
    previousSecretKeys: (e.LAYERS_PREVIOUS_SECRET_KEYS ?? '').split(',').map((k) => k.trim()).filter(Boolean),
    emulatorPort: e.EMULATOR_PORT,
    emulatorUrl: e.EMULATOR_URL?.replace(/\/+$/, '') ?? null,
    livePlatforms: livePlatforms(platformVars.data),
    refreshIntervalMs: e.REFRESH_INTERVAL_SECONDS * 1000,
    webhookPollIntervalMs: e.WEBHOOK_POLL_INTERVAL_MS,
    logLevel: e.LOG_LEVEL,
    trustProxy: e.TRUST_PROXY,
    addressLimits: { callback: e.CALLBACK_RATE_LIMIT_PER_MINUTE, upload: e.UPLOAD_RATE_LIMIT_PER_MINUTE, public: e.PUBLIC_RATE_LIMIT_PER_MINUTE },
    metricsToken: e.METRICS_TOKEN ?? null,
    auditRetentionDays: e.AUDIT_RETENTION_DAYS,
    listedPagesMaxBytes: e.LISTED_PAGES_CACHE_MB * 1024 * 1024,
    metricsSyncIntervalMs: e.METRICS_SYNC_INTERVAL_SECONDS * 1000,
    storage: storageConfig(e, dataDir),
  };
}

/**
 * S3 when S3_BUCKET is set, else the filesystem under DATA_DIR (or MEDIA_DIR). Credentials come as
 * a pair, under the S3_* names or the AWS_* ones; half a pair is a mistake worth stopping for.
 */
function storageConfig(e: z.infer<typeof envSchema>, dataDir: string): StorageConfig {
  if (!e.S3_BUCKET) {
    const stray = (['S3_ENDPOINT', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY', 'S3_PUBLIC_BASE_URL'] as const).find((name) => e[name] !== undefined);
    if (stray) throw new ConfigError(`Invalid configuration:\n  S3_BUCKET: required when ${stray} is set`);
    return { kind: 'filesystem', directory: path.resolve(e.MEDIA_DIR ?? path.join(dataDir, 'media')) };
  }
  const pairs = [
    ['S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY', e.S3_ACCESS_KEY_ID, e.S3_SECRET_ACCESS_KEY],
    ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', e.AWS_ACCESS_KEY_ID, e.AWS_SECRET_ACCESS_KEY],
  ] as const;
  let credentials: { accessKeyId: string; secretAccessKey: string } | null = null;
  for (const [idName, secretName, id, secret] of pairs) {
    if (!id && !secret) continue;
    if (!id || !secret) {
      const [missing, present] = id ? [secretName, idName] : [idName, secretName];
      throw new ConfigError(`Invalid configuration:\n  ${missing}: required when ${present} is set`);
    }
    credentials ??= { accessKeyId: id, secretAccessKey: secret };
  }
  return {
    kind: 's3',
    bucket: e.S3_BUCKET,
    endpoint: e.S3_ENDPOINT?.replace(/\/+$/, '') ?? null,
    region: e.S3_REGION ?? e.AWS_REGION ?? 'us-east-1',
    credentials,
    forcePathStyle: e.S3_FORCE_PATH_STYLE === 'true' || e.S3_FORCE_PATH_STYLE === '1',
    publicBaseUrl: e.S3_PUBLIC_BASE_URL?.replace(/\/+$/, '') ?? null,
  };
}

/** A real platform app needs both halves of its credentials; one without the other is a mistake worth stopping for. */
function livePlatforms(vars: Record<string, string | undefined>): Record<PlatformId, PlatformEndpoints | null> {
  const live = {} as Record<PlatformId, PlatformEndpoints | null>;
  for (const module of PLATFORM_MODULES) {
    const { clientIdEnv, clientSecretEnv, hosts } = module.app;
    const id = vars[clientIdEnv];
    const secret = vars[clientSecretEnv];
    live[module.id] = null;
    if (!id && !secret) continue;
    if (!id || !secret) {
      const [missing, present] = id ? [clientSecretEnv, clientIdEnv] : [clientIdEnv, clientSecretEnv];
      throw new ConfigError(`Invalid configuration:\n  ${missing}: required when ${present} is set`);
    }
    const endpoints: PlatformEndpoints = { clientId: id, clientSecret: secret };
    for (const [name, host] of Object.entries(hosts)) endpoints[name as `${string}BaseUrl`] = (vars[host.env] as string).replace(/\/+$/, '');
    const settings = Object.entries(module.app.settings ?? {}).flatMap(([name, setting]) => {
      const value = vars[setting.env];
      return value === undefined ? [] : [[name, value] as const];
    });
    if (settings.length > 0) endpoints.settings = Object.fromEntries(settings);
    live[module.id] = endpoints;
  }
  return live;
}

/** A wildcard bind address is not somewhere a browser can be sent back to; localhost is. */
function browsableHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? 'localhost' : host;
}

function emptyToUndefined(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === '' ? undefined : v]));
}

/**
 * Production refuses to start without an explicit key: a generated key living next to the data
 * would be lost with the volume, and with it every encrypted token.
 */
function resolveSecretKey(
  fromEnv: string | undefined,
  production: boolean,
  dataDir: string,
): { key: string; generatedPath: string | null } {
  if (fromEnv) return { key: fromEnv, generatedPath: null };
  if (production) {
    throw new ConfigError('Invalid configuration:\n  LAYERS_SECRET_KEY: required when NODE_ENV=production');
  }
  const file = path.join(dataDir, SECRET_KEY_FILE);
  if (existsSync(file)) return { key: readFileSync(file, 'utf8').trim(), generatedPath: file };
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32).toString('base64url');
  try {
    writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another process (the CLI, a second server) generated it first: use theirs.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { key: readFileSync(file, 'utf8').trim(), generatedPath: file };
  }
  return { key, generatedPath: file };
}
