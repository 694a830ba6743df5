import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

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
  emulatorPort: number;
  logLevel: string;
}

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
  EMULATOR_PORT: z.coerce.number().int().min(0).max(65535).default(8090),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

const SECRET_KEY_FILE = 'secret.key';

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(emptyToUndefined(env));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
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
    publicBaseUrl: (e.PUBLIC_BASE_URL ?? `http://${e.HOST}:${e.PORT}`).replace(/\/+$/, ''),
    dataDir,
    secretKey: secret.key,
    generatedSecretKeyPath: secret.generatedPath,
    emulatorPort: e.EMULATOR_PORT,
    logLevel: e.LOG_LEVEL,
  };
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
