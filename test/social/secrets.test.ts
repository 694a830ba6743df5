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
import { PLATFORMS, REAUTH_ELIGIBLE, platformModule, type PlatformId } from '../../src/platforms/registry.ts';
import type { TokenSet } from '../../src/platforms/tokens.ts';
import { createServices } from '../../src/services.ts';
import { codeVerifierOf } from '../../src/social/authorize-url.ts';
import { createFilesystemBlobStore } from '../../src/storage/filesystem.ts';
import type { TokenRefresher } from '../../src/social/token-refresh.ts';
import type { Vault } from '../../src/vault/vault.ts';
import { consent } from '../support/consent.ts';
import { engines, openTestDatabase } from '../support/engines.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { lastingTokenOf, PLATFORM_KITS } from '../support/platform-kits.ts';
import { TEST_MASTER_KEY } from '../support/test-app.ts';
import { RETURN_URL, uniqueUser } from './helpers.ts';

/**
 * Tokens live only in the vault (docs/operations.md): after a full connect → refresh → failed refresh →
 * reauth → failed callback → revoke on every platform, no token the platform issued, no
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
    /** The PKCE verifier a state holds, read the way the callback reads it; null once it is gone. */
    const storedVerifier = async (state: string) =>
      codeVerifierOf({ db: database.db, vault }, await database.db.selectFrom('oauth_states').selectAll().where('id', '=', state).executeTakeFirstOrThrow());
    /** Keeps the PKCE verifier of a freshly minted state. */
    const rememberVerifier = async (state: string) => {
      const stored = await storedVerifier(state);
      assert.ok(stored && stored.length >= 43);
      verifiers.push(stored);
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
      app = await buildApp(services, { logger: { level: 'trace', stream } });
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

    const flow = async (platform: PlatformId) => {
      const kit = PLATFORM_KITS[platform];
      const username = uniqueUser(`leak_${platform}`);
      // Connect.
      const minted = await inject({ method: 'POST', url: `/v1/projects/${projectId}/social/oauth-url`, body: { platform, returnUrl: RETURN_URL } });
      assert.equal(minted.statusCode, 200, minted.body);
      await rememberVerifier(minted.json().state);
      const connected = await deliver((await callback(minted.json().authorizeUrl, username)).redirect);
      assert.equal(connected.headers.location, RETURN_URL);
      assert.equal(await storedVerifier(minted.json().state), null, 'the verifier is destroyed once used');
      const accountId = (await inject({ method: 'GET', url: `/v1/social/oauth-status/${minted.json().state}` })).json().socialAccountId as string;
      assert.ok(accountId);
      await inject({ method: 'GET', url: `/v1/projects/${projectId}/social-accounts` });

      // A refresh the platform refuses with a message that echoes the credential it was sent.
      const before = await storedTokens(accountId);
      const echoed = lastingTokenOf(kit, before) as string;
      await controlCall('POST', '/faults', { platform, endpoint: 'refresh', status: 400, body: kit.echoingRefreshFault(echoed) });
      assert.equal((await refresher.refresh(accountId, { force: true })).result, 'failed');
      const afterFailure = await inject({ method: 'GET', url: `/v1/social-accounts/${accountId}/health` });
      // The stored message is the server's own: nothing of the platform's text, so nothing it echoed.
      const lastErrorMessage = afterFailure.json().token.lastError.message as string;
      assert.ok(!lastErrorMessage.includes(echoed) && !lastErrorMessage.includes('malformed'), afterFailure.body);
      assert.match(lastErrorMessage, new RegExp(`^${platformModule(platform).displayName} token refresh failed \\(HTTP 400\\): [\\w/]+$`));

      // A real refresh, through the live health check, once it is due.
      clock.advance(kit.refreshDueAfterMs);
      const refreshed = await inject({ method: 'GET', url: `/v1/social-accounts/${accountId}/health?check=live` });
      assert.equal(refreshed.json().status, 'connected', refreshed.body);
      assert.equal(refreshed.json().token.lastRefreshedAt, clock.now().toISOString());
      assert.notEqual((await storedTokens(accountId)).accessToken, before.accessToken);

      // Reauth (through oauth-url as the same person where reauth-url is not offered: the same account reconnects).
      const reauth = REAUTH_ELIGIBLE.includes(platform)
        ? await inject({ method: 'POST', url: `/v1/projects/${projectId}/social/reauth-url`, body: { socialAccountId: accountId, returnUrl: RETURN_URL } })
        : await inject({ method: 'POST', url: `/v1/projects/${projectId}/social/oauth-url`, body: { platform, returnUrl: RETURN_URL } });
      assert.equal(reauth.statusCode, 200, reauth.body);
      await rememberVerifier(reauth.json().state);
      const reconnected = await deliver((await callback(reauth.json().authorizeUrl, username)).redirect);
      assert.equal(reconnected.headers.location, RETURN_URL);

      // A callback whose code exchange fails with a message that echoes the code.
      const failing = await inject({ method: 'POST', url: `/v1/projects/${projectId}/social/oauth-url`, body: { platform, returnUrl: RETURN_URL } });
      await rememberVerifier(failing.json().state);
      const { redirect, code } = await callback(failing.json().authorizeUrl, uniqueUser(`leak2_${platform}`));
      await controlCall('POST', '/faults', { platform, endpoint: 'token', status: 400, body: kit.echoingExchangeFault(code) });
      const failed = await deliver(redirect);
      assert.match(String(failed.headers.location), /layers_oauth_error=PLATFORM_ERROR/);
      assert.equal(await storedVerifier(failing.json().state), null, 'the verifier is destroyed when the callback fails');
      const failedStatus = await inject({ method: 'GET', url: `/v1/social/oauth-status/${failing.json().state}` });
      assert.equal(failedStatus.json().error.code, 'PLATFORM_ERROR');

      // Revoke, with the upstream revoke (where the platform has one) failing and echoing the token.
      if (kit.upstreamRevoke) {
        const current = await storedTokens(accountId);
        await controlCall('POST', '/faults', { platform, endpoint: 'revoke', status: 400, body: kit.upstreamRevoke.echoingFault(current.accessToken) });
      }
      const revoked = await inject({ method: 'DELETE', url: `/v1/social-accounts/${accountId}` });
      assert.equal(revoked.statusCode, 200, revoked.body);
      await inject({ method: 'GET', url: `/v1/social-accounts/${accountId}/health` });
    };

    test('connect, failed refresh, refresh, reauth, failed callback and revoke on every platform leave no secret behind', async () => {
      for (const platform of PLATFORMS) await flow(platform);

      const tokens: string[] = [];
      for (const platform of PLATFORMS) {
        const issued = (await controlCall('GET', `/tokens/${platform}`)).tokens as Array<{ token: string }>;
        tokens.push(...issued.map((t) => t.token));
      }
      assert.ok(tokens.length >= 11, `the flows issued tokens (${tokens.length})`);
      // Three consents per platform: connect, reauth, the failed callback.
      assert.equal(codes.length, 3 * PLATFORMS.length);
      assert.equal(verifiers.length, 3 * PLATFORMS.length);
      const secrets = new Map<string, string>([
        ...tokens.map((t) => [t, 'platform token'] as const),
        ...codes.map((c) => [c, 'authorization code'] as const),
        ...verifiers.map((v) => [v, 'PKCE verifier'] as const),
        [secret, 'API key secret'],
        [TEST_MASTER_KEY, 'master key'],
        ...PLATFORMS.map((platform) => [EMULATOR_DEFAULT_CREDENTIALS[platform].clientSecret, `${platformModule(platform).displayName} client secret`] as const),
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
