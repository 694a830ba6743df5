import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { startServer } from '../../src/server.ts';
import { engines } from '../support/engines.ts';
import { createScratchDatabase, type ScratchDatabase } from '../support/server-process.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import { expectError } from '../foundation/helpers.ts';
import { mintConnect, newProject, oauthStatus, stateRow } from '../social/helpers.ts';

/**
 * Finding 12, the smaller ones: framework errors that skipped the envelope and X-Request-Id (bad
 * `%` escapes, ids over 100 characters, header-parser errors, 431); gzip bodies read as plain;
 * a platform's raw error text stored and shown; a demo organization with a `*` key created (and
 * printed) by NODE_ENV=production on an empty database; /metrics public with no way to close it.
 */
const REQUEST_ID_HEADER = /\r\nx-request-id: (req_[0-9A-HJKMNP-TV-Z]{26})\r\n/i;

/** Writes `raw` to the app's socket and returns everything it answered before closing. */
function rawExchange(port: number, raw: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString();
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', () => {});
    socket.write(raw);
  });
}

function expectRawEnvelope(answer: string, status: number): void {
  assert.match(answer, new RegExp(`^HTTP/1\\.1 ${status} `), answer.slice(0, 200));
  const requestId = REQUEST_ID_HEADER.exec(answer)?.[1];
  assert.ok(requestId, `X-Request-Id in ${answer.slice(0, 300)}`);
  const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { error: { code: string; message: string; requestId: string } };
  assert.equal(body.error.code, 'VALIDATION');
  assert.equal(body.error.requestId, requestId);
  assert.ok(body.error.message.length > 0);
}

for (const engine of engines) {
  describe(`framework errors answer in the envelope with X-Request-Id (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;
    let port: number;
    before(async () => {
      ctx = await createTestContext(engine, { emulator: true });
      tenant = await ctx.tenant();
      await ctx.app.listen({ port: 0, host: '127.0.0.1' });
      port = (ctx.app.server.address() as AddressInfo).port;
    });
    after(() => ctx.close());

    test('a bad % escape and a path id over 100 characters: 400 VALIDATION, authenticated or not', async () => {
      for (const url of ['/v1/projects/%zz', '/v1/projects/%E0%A4%A', '/%', `/v1/projects/${'a'.repeat(101)}`, `/v1/social/oauth-status/st_${'A'.repeat(120)}`, `/media/${'m'.repeat(300)}`]) {
        for (const key of [tenant.secret, undefined]) {
          expectError(await ctx.call({ method: 'GET', url, ...(key ? { key } : {}) }), 400, 'VALIDATION');
        }
      }
    });

    test('a malformed header line and headers over the size limit (431): the envelope, written on the socket', async () => {
      expectRawEnvelope(await rawExchange(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n'), 400);
      expectRawEnvelope(await rawExchange(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'), 400);
      expectRawEnvelope(await rawExchange(port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`), 431);
      expectRawEnvelope(await rawExchange(port, 'NOT-HTTP\r\n\r\n'), 400);
    });

    test('a compressed body is refused (415 in the envelope), never read as plain JSON', async () => {
      const json = JSON.stringify({ name: 'Gzipped app', timezone: 'UTC' });
      const before = await ctx.database.db.selectFrom('projects').select('id').execute();
      for (const [encoding, payload] of [['gzip', gzipSync(json)], ['gzip', Buffer.from(json)], ['deflate', Buffer.from(json)], ['br, gzip', Buffer.from(json)]] as const) {
        const res = await ctx.app.inject({
          method: 'POST',
          url: '/v1/projects',
          headers: { authorization: `Bearer ${tenant.secret}`, 'content-type': 'application/json', 'content-encoding': encoding },
          payload,
        });
        expectError(res, 415, 'VALIDATION');
      }
      assert.equal((await ctx.database.db.selectFrom('projects').select('id').execute()).length, before.length);
      const identity = await ctx.call({ method: 'POST', url: '/v1/projects', key: tenant.secret, body: json, headers: { 'content-encoding': 'identity' } });
      assert.equal(identity.statusCode, 201);
    });

    test('a platform error text never reaches storage or oauth-status: only the code and the server’s own message', async () => {
      const projectId = await newProject(ctx, tenant.secret);
      const minted = await mintConnect(ctx, tenant.secret, projectId, 'tiktok');
      const echoed = 'access_token=act.LEAKEDTOKEN123 was rejected';
      const res = await ctx.call({ method: 'GET', url: `/oauth/callback/tiktok?state=${minted.state}&error=${encodeURIComponent(echoed)}&error_description=${encodeURIComponent(echoed)}` });
      assert.equal(res.statusCode, 302);
      const status = await oauthStatus(ctx, tenant.secret, minted.state);
      assert.deepEqual(status.error, { code: 'PLATFORM_ERROR', message: 'The platform reported an error.' });
      const row = await stateRow(ctx, minted.state);
      assert.ok(!JSON.stringify(row).includes('LEAKEDTOKEN'));
    });
  });

  describe(`production defaults of \`layers serve\` (${engine})`, () => {
    let dir: string;
    let scratch: ScratchDatabase | null = null;
    before(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'layers-production-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    const serve = async (env: Record<string, string>) => {
      scratch = engine === 'postgres' ? await createScratchDatabase(process.env.TEST_DATABASE_URL as string, 'prod_defaults') : null;
      const databaseUrl = scratch ? scratch.url : `sqlite:${path.join(dir, `${Math.random().toString(36).slice(2)}.db`)}`;
      return startServer(
        loadConfig({ DATA_DIR: dir, DATABASE_URL: databaseUrl, LAYERS_SECRET_KEY: 'p'.repeat(43), PORT: '0', EMULATOR_PORT: '0', LOG_LEVEL: 'silent', ...env }),
      );
    };

    test('NODE_ENV=production on an empty database creates no demo organization or key; development still does', async () => {
      for (const [env, expectDemo] of [[{ NODE_ENV: 'production' }, false], [{}, true]] as const) {
        const server = await serve(env);
        try {
          assert.equal(server.demoTenant !== null, expectDemo, JSON.stringify(env));
          const whoami = server.demoTenant ? await fetch(`${server.url}/v1/whoami`, { headers: { authorization: `Bearer ${server.demoTenant.secret}` } }) : null;
          if (whoami) assert.equal(whoami.status, 200);
        } finally {
          await server.close();
          await scratch?.drop();
        }
      }
    });

    test('METRICS_TOKEN closes /metrics to anyone without the bearer token', async () => {
      const server = await serve({ METRICS_TOKEN: 'metrics-token-0123456789' });
      try {
        for (const authorization of [undefined, 'Bearer wrong-token-0123456789', 'Bearer metrics-token-012345678', 'metrics-token-0123456789']) {
          const res = await fetch(`${server.url}/metrics`, { headers: authorization ? { authorization } : {} });
          const body = (await res.json()) as { error: { code: string; requestId: string } };
          assert.equal(res.status, 401, String(authorization));
          assert.equal(body.error.code, 'UNAUTHENTICATED');
          assert.equal(res.headers.get('x-request-id'), body.error.requestId);
        }
        const ok = await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer metrics-token-0123456789' } });
        assert.equal(ok.status, 200);
        assert.match(await ok.text(), /http_requests_total/);
      } finally {
        await server.close();
        await scratch?.drop();
      }
    });
  });
}
