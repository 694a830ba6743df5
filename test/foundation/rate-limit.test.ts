import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { REQUESTS_PER_MINUTE, TIERS } from '../../src/api-keys/tiers.ts';
import { engines } from '../support/engines.ts';
import { buildTestApp, createTestContext, type TestApp, type TestContext, type Tenant } from '../support/test-app.ts';
import { expectError } from './helpers.ts';

const RATE_HEADERS = ['x-ratelimit-endpoint-class', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'];

function rateHeaders(res: LightMyRequestResponse): { endpointClass: string; limit: number; remaining: number; reset: number } {
  for (const name of RATE_HEADERS) assert.ok(res.headers[name] !== undefined, `missing ${name} on ${res.statusCode} ${res.body}`);
  const reset = Number(res.headers['x-ratelimit-reset']);
  assert.ok(Number.isInteger(reset) && reset >= 0 && reset <= 60, `X-RateLimit-Reset is seconds within the minute, got ${reset}`);
  return {
    endpointClass: String(res.headers['x-ratelimit-endpoint-class']),
    limit: Number(res.headers['x-ratelimit-limit']),
    remaining: Number(res.headers['x-ratelimit-remaining']),
    reset,
  };
}

/** A write that costs nothing else: killing a key that does not exist (404). */
const cheapWriteUrl = () => `/v1/api-keys/key_${randomUUID()}/kill`;

for (const engine of engines) {
  describe(`rate limits (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;
    let projectId: string;

    before(async () => {
      ctx = await createTestContext(engine);
      tenant = await ctx.tenant({ tier: 'standard' });
      const res = await ctx.call({ method: 'POST', url: '/v1/projects', key: tenant.secret, body: { name: 'Limited', timezone: 'UTC' } });
      assert.equal(res.statusCode, 201);
      projectId = (res.json() as { id: string }).id;
    });
    after(() => ctx.close());

    test('every authenticated response carries the headers: class "read" for GET, "write" for POST/PATCH/DELETE, success or error', async () => {
      const key = await ctx.key(tenant.organizationId, { tier: 'standard' });
      const cases: Array<[LightMyRequestResponse, number, string]> = [
        [await ctx.call({ method: 'GET', url: '/v1/whoami', key: key.secret }), 200, 'read'],
        [await ctx.call({ method: 'GET', url: '/v1/projects', key: key.secret }), 200, 'read'],
        [await ctx.call({ method: 'GET', url: `/v1/projects/${projectId}`, key: key.secret }), 200, 'read'],
        [await ctx.call({ method: 'GET', url: `/v1/projects/prj_${randomUUID()}`, key: key.secret }), 404, 'read'],
        [await ctx.call({ method: 'GET', url: '/v1/projects?limit=0', key: key.secret }), 422, 'read'],
        [await ctx.call({ method: 'POST', url: '/v1/projects', key: key.secret, body: { name: 'Headers', timezone: 'UTC' } }), 201, 'write'],
        [await ctx.call({ method: 'POST', url: '/v1/projects', key: key.secret, body: '{oops' }), 400, 'write'],
        [await ctx.call({ method: 'POST', url: '/v1/projects', key: key.secret, body: { name: 'x' } }), 422, 'write'],
        [await ctx.call({ method: 'PATCH', url: `/v1/projects/${projectId}`, key: key.secret, body: { tagline: 'hi' } }), 200, 'write'],
        [await ctx.call({ method: 'DELETE', url: `/v1/projects/${projectId}`, key: key.secret }), 200, 'write'],
        [await ctx.call({ method: 'POST', url: cheapWriteUrl(), key: key.secret }), 404, 'write'],
      ];
      let reads = 0;
      let writes = 0;
      for (const [res, status, endpointClass] of cases) {
        assert.equal(res.statusCode, status, res.body);
        const h = rateHeaders(res);
        assert.equal(h.endpointClass, endpointClass);
        assert.equal(h.limit, REQUESTS_PER_MINUTE.standard[endpointClass as 'read' | 'write']);
        // Each class has its own budget, counted down one request at a time.
        const used = endpointClass === 'read' ? ++reads : ++writes;
        assert.equal(h.remaining, h.limit - used);
        assert.equal(res.headers['retry-after'], undefined, 'Retry-After belongs to 429s only');
      }
    });

    test('the limits follow the key’s tier', async () => {
      for (const tier of TIERS) {
        const key = await ctx.key(tenant.organizationId, { tier });
        const read = rateHeaders(await ctx.call({ method: 'GET', url: '/v1/whoami', key: key.secret }));
        assert.deepEqual([read.endpointClass, read.limit, read.remaining], ['read', REQUESTS_PER_MINUTE[tier].read, REQUESTS_PER_MINUTE[tier].read - 1], tier);
        const write = rateHeaders(await ctx.call({ method: 'POST', url: cheapWriteUrl(), key: key.secret }));
        assert.deepEqual([write.endpointClass, write.limit, write.remaining], ['write', REQUESTS_PER_MINUTE[tier].write, REQUESTS_PER_MINUTE[tier].write - 1], tier);
      }
      assert.deepEqual(REQUESTS_PER_MINUTE.standard, { read: 120, write: 60, oauth: 30 });
      assert.deepEqual(REQUESTS_PER_MINUTE.pilot, { read: 1200, write: 600, oauth: 300 });
      assert.deepEqual(REQUESTS_PER_MINUTE.partner, { read: 6000, write: 3000, oauth: 1000 });
    });

    test('standard tier: the 121st read in a minute is 429 RATE_LIMITED with Retry-After; writes and other keys are unaffected', async () => {
      const key = await ctx.key(tenant.organizationId, { tier: 'standard' });
      for (let i = 1; i <= 120; i++) {
        const res = await ctx.call({ method: 'GET', url: '/v1/whoami', key: key.secret });
        assert.equal(res.statusCode, 200, `read ${i}`);
        assert.equal(rateHeaders(res).remaining, 120 - i);
      }
      const limited = await ctx.call({ method: 'GET', url: `/v1/projects/${projectId}`, key: key.secret });
      const details = expectError(limited, 429, 'RATE_LIMITED');
      assert.equal(details.endpointClass, 'read');
      const retryAfter = details.retryAfterSeconds as number;
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `retryAfterSeconds ${retryAfter}`);
      assert.equal(limited.headers['retry-after'], String(retryAfter));
      const h = rateHeaders(limited);
      assert.deepEqual([h.endpointClass, h.limit, h.remaining], ['read', 120, 0]);
      assert.equal(h.reset, retryAfter);
      // Still limited on the next read, whatever the route.
      expectError(await ctx.call({ method: 'GET', url: '/v1/projects', key: key.secret }), 429, 'RATE_LIMITED');

      // The write budget is separate; another key of the same organization has its own budgets.
      const write = await ctx.call({ method: 'POST', url: cheapWriteUrl(), key: key.secret });
      assert.equal(write.statusCode, 404);
      assert.equal(rateHeaders(write).remaining, 59);
      const sibling = await ctx.key(tenant.organizationId, { tier: 'standard' });
      const other = await ctx.call({ method: 'GET', url: '/v1/whoami', key: sibling.secret });
      assert.equal(other.statusCode, 200);
      assert.equal(rateHeaders(other).remaining, 119);
    });

    test('standard tier: once 60 writes are spent, a write with malformed JSON is 429 (limit before body parse), and nothing is created', async () => {
      const key = await ctx.key(tenant.organizationId, { tier: 'standard' });
      for (let i = 1; i <= 60; i++) {
        const res = await ctx.call({ method: 'POST', url: cheapWriteUrl(), key: key.secret });
        assert.equal(res.statusCode, 404, `write ${i}`);
      }
      const bad = await ctx.call({ method: 'POST', url: '/v1/projects', key: key.secret, body: '{not json' });
      const details = expectError(bad, 429, 'RATE_LIMITED');
      assert.equal(details.endpointClass, 'write');
      assert.equal(bad.headers['retry-after'], String(details.retryAfterSeconds));

      const count = async () =>
        Number((await ctx.database.db.selectFrom('projects').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      const before = await count();
      const good = await ctx.call({ method: 'POST', url: '/v1/projects', key: key.secret, body: { name: 'Too late', timezone: 'UTC' } });
      expectError(good, 429, 'RATE_LIMITED');
      expectError(await ctx.call({ method: 'PATCH', url: `/v1/projects/${projectId}`, key: key.secret, body: { name: 'Too late' } }), 429, 'RATE_LIMITED');
      expectError(await ctx.call({ method: 'DELETE', url: `/v1/projects/${projectId}`, key: key.secret }), 429, 'RATE_LIMITED');
      assert.equal(await count(), before);
      // Reads still have their own budget.
      assert.equal((await ctx.call({ method: 'GET', url: '/v1/whoami', key: key.secret })).statusCode, 200);
    });
  });

  const redisUrl = process.env.TEST_REDIS_URL;
  if (redisUrl) {
    describe(`rate limits shared through Redis (${engine})`, () => {
      let ctx: TestContext;
      let second: TestApp;
      let secret: string;

      before(async () => {
        ctx = await createTestContext(engine, { redisUrl });
        // A second server process of the same deployment: same database, its own Redis connection.
        second = await buildTestApp(ctx.database, ctx.clock, { redisUrl, publicBaseUrl: 'http://127.0.0.1:8081' });
        secret = (await ctx.tenant({ tier: 'standard' })).secret;
      });
      after(async () => {
        await second.close();
        await ctx.close();
      });

      const onFirst = (method: 'GET' | 'POST', url: string) => ctx.call({ method, url, key: secret });
      const onSecond = (method: 'GET' | 'POST', url: string) =>
        second.app.inject({ method, url, headers: { authorization: `Bearer ${secret}` } });

      test('two server processes share one key’s budget', async () => {
        for (let i = 1; i <= 120; i++) {
          const res = i % 2 === 0 ? await onFirst('GET', '/v1/whoami') : await onSecond('GET', '/v1/whoami');
          assert.equal(res.statusCode, 200, `read ${i}`);
          assert.equal(rateHeaders(res).remaining, 120 - i, `read ${i}`);
        }
        for (const res of [await onFirst('GET', '/v1/whoami'), await onSecond('GET', '/v1/whoami')]) {
          const details = expectError(res, 429, 'RATE_LIMITED');
          assert.equal(details.endpointClass, 'read');
          assert.equal(res.headers['retry-after'], String(details.retryAfterSeconds));
        }
        // Writes: a separate budget, shared too.
        const res = await onSecond('POST', cheapWriteUrl());
        assert.equal(res.statusCode, 404);
        assert.equal(rateHeaders(res).remaining, 59);
        assert.equal(rateHeaders(await onFirst('POST', cheapWriteUrl())).remaining, 58);
      });
    });
  }
}
