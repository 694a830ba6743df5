import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { createApiKey } from '../../src/api-keys/api-keys.ts';
import { openDatabase, type DatabaseHandle } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { EMULATOR_DEFAULT_CREDENTIALS } from '../../src/emulator/app.ts';
import { startEmulator, type RunningEmulator } from '../../src/emulator/main.ts';
import { buildApp } from '../../src/http/app.ts';
import { createOrganization } from '../../src/organizations/organizations.ts';
import type { TokenSet } from '../../src/platforms/tokens.ts';
import { createServices } from '../../src/services.ts';
import { createFilesystemBlobStore } from '../../src/storage/filesystem.ts';
import type { TokenRefresher } from '../../src/social/token-refresh.ts';
import type { Vault } from '../../src/vault/vault.ts';
import { consent } from '../support/consent.ts';
import { engines, openTestDatabase } from '../support/engines.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { TEST_MASTER_KEY } from '../support/test-app.ts';
import { PLATFORM_LIST, RETURN_URL, type TestPlatform, uniqueUser } from './helpers.ts';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

/**
 * Tokens live only in the vault (docs/operations.md): after a full connect → refresh → failed refresh →
 * reauth → failed callback → revoke on both platforms, no token the platform issued, no
 * authorization code and no PKCE verifier appears in any table (nor, on SQLite, anywhere in the
 * database file), in any API response, or in any log line.
 */
for (const engine of engines) {
  describe(`no secret leaks into the database, responses or logs (${engine})`, () => {
    let database: DatabaseHandle;
    let sqliteDir: string | null = null;
    let clock: ManualClock;
    let emulator: RunningEmulator;
    let vault: Vault;
    let refresher: TokenRefresher;
    let app: FastifyInstance;
    let secret: string;
    let projectId: string;
    const logLines: string[] = [];
    const responses: string[] = [];
    const codes: string[] = [];
    const verifiers: string[] = [];

    const inject = async (options: InjectOptions & { body?: unknown }): Promise<LightMyRequestResponse> => {
      const { body, ...rest } = options;
      const res = await app.inject({
        ...rest,
        headers: { authorization: `Bearer ${secret}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(rest.headers ?? {}) },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
      responses.push(`${JSON.stringify(res.headers)}\n${res.body}`);
      return res;
    };
    const controlCall = async (method: string, route: string, body?: unknown) => {
      const res = await fetch(`${emulator.url}/_control${route}`, {
        method,
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      assert.ok(res.ok, `${route}: ${res.status}`);
      return res.json() as Promise<any>;
    };
    /** Keeps the PKCE verifier of a freshly minted state, read from the vault the way the callback will. */
    const rememberVerifier = async (state: string) => {
      const row = await database.db.selectFrom('oauth_states').select('verifier_entry_id').where('id', '=', state).executeTakeFirstOrThrow();
      const stored = await vault.get<{ codeVerifier: string }>(database.db, row.verifier_entry_id as string);
      assert.ok(stored && stored.codeVerifier.length >= 43);
      verifiers.push(stored.codeVerifier);
      return row.verifier_entry_id as string;
    };
    const callback = async (authorizeUrl: string, username: string) => {
      const redirect = await consent(authorizeUrl, { username });
      const code = redirect.searchParams.get('code');
      assert.ok(code);
      codes.push(code);
      return { redirect, code };
    };
    const deliver = (redirect: URL) => inject({ method: 'GET', url: `${redirect.pathname}${redirect.search}`, headers: {} });
    const storedTokens = async (accountId: string) => {
      const row = await database.db.selectFrom('social_accounts').select('vault_entry_id').where('id', '=', accountId).executeTakeFirstOrThrow();
      const tokens = await vault.get<TokenSet>(database.db, row.vault_entry_id as string);
      assert.ok(tokens);
      return tokens;
    };

    before(async () => {
      if (engine === 'sqlite') {
        sqliteDir = mkdtempSync(path.join(tmpdir(), 'layers-secrets-'));
        database = openDatabase(`sqlite:${path.join(sqliteDir, 'layers.db')}`);
        await migrateToLatest(database);
      } else {
        database = await openTestDatabase(engine);
      }
      clock = new ManualClock();
      emulator = await startEmulator({ port: 0, host: '127.0.0.1', now: () => clock.now().getTime() });
      const stream = new Writable({
        write(chunk: Buffer, _encoding, done) {
          logLines.push(chunk.toString('utf8'));
          done();
        },
      });
      const services = createServices({
        database,
        clock,
        masterSecret: TEST_MASTER_KEY,
        previousMasterSecrets: [],
        redis: null,
        emulatorUrl: emulator.url,
        livePlatforms: {},
        publicBaseUrl: 'http://127.0.0.1:8080',
        production: false,
        blobs: createFilesystemBlobStore(mkdtempSync(path.join(tmpdir(), 'layers-secrets-media-'))),
      });
      ({ vault, refresher } = services);
      const apiKeyHashKey = services.apiKeyHashKeys.current;
      app = await buildApp(services, { level: 'trace', stream });
      await app.ready();
      const org = await createOrganization(database.db, clock, 'Leak Check Co');
      ({ secret } = await createApiKey(database.db, clock, apiKeyHashKey, {
        organizationId: org.id,
        env: 'test',
        scopes: ['*'],
        returnDomains: ['app.example.com'],
        tier: 'internal',
      }));
      const project = await inject({ method: 'POST', url: '/v1/projects', body: { name: 'Leak check', timezone: 'UTC' } });
      projectId = project.json().id;
    });
    after(async () => {
      await app.close();
      await emulator.close();
      await database.destroy();
      if (sqliteDir) rmSync(sqliteDir, { recursive: true, force: true });
    });

    const flow = async (platform: TestPlatform) => {
      const username = uniqueUser(`leak_${platform}`);
      // Connect.
      const minted = await inject({ method: 'POST', url: `/v1/projects/${projectId}/social/oauth-url`, body: { platform, returnUrl: RETURN_URL } });
      assert.equal(minted.statusCode, 200, minted.body);
      const verifierEntry = await rememberVerifier(minted.json().state);
      const connected = await deliver((await callback(minted.json().authorizeUrl, username)).redirect);
      assert.equal(connected.headers.location, RETURN_URL);
      assert.equal(await vault.get(database.db, verifierEntry), null, 'the verifier is destroyed once used');
      const accountId = (await inject({ method: 'GET', url: `/v1/social/oauth-status/${minted.json().state}` })).json().socialAccountId as string;
      assert.ok(accountId);
      await inject({ method: 'GET', url: `/v1/projects/${projectId}/social-accounts` });

      // A refresh the platform refuses with a message that echoes the credential it was sent.
      const before = await storedTokens(accountId);
      const echoed = platform === 'tiktok' ? (before.refreshToken as string) : before.accessToken;
      const faultBody =
        platform === 'tiktok'
          ? { error: 'invalid_request', error_description: `refresh_token ${echoed} is malformed`, log_id: 'x' }
          : { error: { message: `token ${echoed} is malformed`, type: 'OAuthException', code: 100 } };
      await controlCall('POST', '/faults', { platform, endpoint: 'refresh', status: 400, body: faultBody });
      assert.equal((await refresher.refresh(accountId, { force: true })).result, 'failed');
      const afterFailure = await inject({ method: 'GET', url: `/v1/social-accounts/${accountId}/health` });
      assert.ok(afterFailure.json().token.lastError.message.includes('[redacted]'), afterFailure.body);

      // A real refresh, through the live health check, once it is due.
      clock.advance(platform === 'tiktok' ? 2 * HOUR - 5 * 60_000 : 50 * DAY);
      const refreshed = await inject({ method: 'GET', url: `/v1/social-accounts/${accountId}/health?check=live` });
      assert.equal(refreshed.json().status, 'connected', refreshed.body);
      assert.equal(refreshed.json().token.lastRefreshedAt, clock.now().toISOString());
      assert.notEqual((await storedTokens(accountId)).accessToken, before.accessToken);

      // Reauth.
      const reauth = await inject({ method: 'POST', url: `/v1/projects/${projectId}/social/reauth-url`, body: { socialAccountId: accountId, returnUrl: RETURN_URL } });
      assert.equal(reauth.statusCode, 200, reauth.body);
      await rememberVerifier(reauth.json().state);
      const reconnected = await deliver((await callback(reauth.json().authorizeUrl, username)).redirect);
      assert.equal(reconnected.headers.location, RETURN_URL);

      // A callback whose code exchange fails with a message that echoes the code.
      const failing = await inject({ method: 'POST', url: `/v1/projects/${projectId}/social/oauth-url`, body: { platform, returnUrl: RETURN_URL } });
      await rememberVerifier(failing.json().state);
      const { redirect, code } = await callback(failing.json().authorizeUrl, uniqueUser(`leak2_${platform}`));
      const exchangeFault =
        platform === 'tiktok'
          ? { error: 'invalid_grant', error_description: `code ${code} is unknown`, log_id: 'x' }
          : { error_type: 'OAuthException', code: 400, error_message: `code ${code} is unknown` };
      await controlCall('POST', '/faults', { platform, endpoint: 'token', status: 400, body: exchangeFault });
      const failed = await deliver(redirect);
      assert.match(String(failed.headers.location), /layers_oauth_error=PLATFORM_ERROR/);
      const failedStatus = await inject({ method: 'GET', url: `/v1/social/oauth-status/${failing.json().state}` });
      assert.equal(failedStatus.json().error.code, 'PLATFORM_ERROR');

      // Revoke, with the upstream revoke failing and echoing the token (TikTok has a revoke endpoint).
      if (platform === 'tiktok') {
        const current = await storedTokens(accountId);
        await controlCall('POST', '/faults', {
          platform,
          endpoint: 'revoke',
          status: 400,
          body: { error: 'invalid_request', error_description: `token ${current.accessToken} rejected`, log_id: 'x' },
        });
      }
      const revoked = await inject({ method: 'DELETE', url: `/v1/social-accounts/${accountId}` });
      assert.equal(revoked.statusCode, 200, revoked.body);
      await inject({ method: 'GET', url: `/v1/social-accounts/${accountId}/health` });
    };

    test('connect, failed refresh, refresh, reauth, failed callback and revoke on both platforms leave no secret behind', async () => {
      for (const platform of PLATFORM_LIST) await flow(platform);

      const tokens: string[] = [];
      for (const platform of PLATFORM_LIST) {
        const issued = (await controlCall('GET', `/tokens/${platform}`)).tokens as Array<{ token: string }>;
        tokens.push(...issued.map((t) => t.token));
      }
      assert.ok(tokens.length >= 11, `the flows issued tokens (${tokens.length})`);
      assert.equal(codes.length, 6);
      assert.equal(verifiers.length, 6);
      const secrets = new Map<string, string>([
        ...tokens.map((t) => [t, 'platform token'] as const),
        ...codes.map((c) => [c, 'authorization code'] as const),
        ...verifiers.map((v) => [v, 'PKCE verifier'] as const),
        [secret, 'API key secret'],
        [TEST_MASTER_KEY, 'master key'],
        [EMULATOR_DEFAULT_CREDENTIALS.tiktok.clientSecret, 'TikTok client secret'],
        [EMULATOR_DEFAULT_CREDENTIALS.instagram.clientSecret, 'Instagram client secret'],
      ]);
      /** Every spelling a secret could take in text: raw, URL-encoded, form-encoded. */
      const spellings = (value: string) => [...new Set([value, encodeURIComponent(value), new URLSearchParams({ v: value }).toString().slice(2)])];
      const assertAbsent = (haystack: string | Buffer, where: string) => {
        for (const [value, kind] of secrets) {
          for (const spelling of spellings(value)) assert.ok(!haystack.includes(spelling), `a ${kind} appears in ${where}`);
        }
      };

      // Every row of every table.
      const tables =
        database.engine === 'sqlite'
          ? (await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(database.db)).rows.map((r) => r.name)
          : (await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema()`.execute(database.db)).rows.map(
              (r) => r.name,
            );
      assert.ok(tables.includes('social_accounts') && tables.includes('vault_entries') && tables.includes('oauth_states'));
      let dumped = 0;
      for (const table of tables) {
        const rows = (await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(database.db)).rows;
        dumped += rows.length;
        assertAbsent(JSON.stringify(rows), `table ${table}`);
      }
      assert.ok(dumped > 20);

      // The SQLite file itself, free pages and WAL included.
      if (sqliteDir) {
        for (const file of ['layers.db', 'layers.db-wal']) {
          const full = path.join(sqliteDir, file);
          if (existsSync(full)) assertAbsent(readFileSync(full), `the SQLite file ${file}`);
        }
      }

      // Every API response of the flows, headers and bodies.
      assert.ok(responses.length > 20);
      assertAbsent(responses.join('\n'), 'an API response');

      // Every log line, at trace level.
      assert.ok(logLines.length > 20, 'the app logged');
      assert.ok(logLines.some((line) => line.includes('/oauth/callback/')), 'callbacks are logged (with their code redacted)');
      assertAbsent(logLines.join(''), 'the log');
    });
  });
}
