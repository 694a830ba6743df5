import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import { newProject, RETURN_URL, STATE_ID } from '../social/helpers.ts';
import { distance, ulidValue } from './helpers.ts';

/**
 * Finding 1 (high): OAuth states came from the monotonic ULID factory that also makes request ids,
 * so a state minted in the same millisecond as any request was that request's public id plus one
 * or two, and on Instagram (no PKCE) any code for the server's client id completed it. A state
 * must carry 128 CSPRNG bits and be unrelated to every public id around it.
 */
const STATES = 120;
const FAR = 2n ** 80n;

for (const engine of engines) {
  describe(`OAuth states share nothing with public ids (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;
    let projectId: string;

    before(async () => {
      ctx = await createTestContext(engine);
      tenant = await ctx.tenant();
      projectId = await newProject(ctx, tenant.secret);
    });
    after(() => ctx.close());

    test(`${STATES} states minted between public requests: none within 2^80 of any X-Request-Id, no shared time prefix, every bit random`, async () => {
      const requestIds: string[] = [];
      const states: string[] = [];
      const seen = (res: LightMyRequestResponse) => requestIds.push(String(res.headers['x-request-id']));
      for (let i = 0; i < STATES; i++) {
        seen(await ctx.call({ method: 'GET', url: '/healthz' }));
        const minted = await ctx.call({
          method: 'POST',
          url: `/v1/projects/${projectId}/social/oauth-url`,
          key: tenant.secret,
          body: { platform: i % 2 ? 'instagram' : 'tiktok', returnUrl: RETURN_URL },
        });
        assert.equal(minted.statusCode, 200, minted.body);
        seen(minted);
        states.push((minted.json() as { state: string }).state);
        seen(await ctx.call({ method: 'GET', url: '/v1/whoami', key: tenant.secret }));
      }

      const publicValues = requestIds.map(ulidValue);
      let nearest = 2n ** 130n;
      for (const state of states) {
        assert.match(state, STATE_ID, 'the public shape is unchanged: st_ + 26 Crockford characters');
        assert.match(state, /^st_[0-7]/, 'the first character is 0–7, as in any ULID');
        const value = ulidValue(state);
        for (const id of publicValues) nearest = distance(value, id) < nearest ? distance(value, id) : nearest;
      }
      assert.ok(nearest > FAR, `a state is ${nearest} away from a request id minted around it`);

      // A ULID's first 10 characters are its millisecond timestamp: request ids share theirs, states must not.
      const timePrefixes = new Set(states.map((s) => s.slice(3, 9)));
      assert.ok(timePrefixes.size > STATES * 0.9, `states share time prefixes: ${timePrefixes.size} distinct of ${STATES}`);

      // Each of the 128 low bits is set in some states and clear in others, near half the time.
      for (let bit = 0n; bit < 128n; bit++) {
        const ones = states.filter((s) => (ulidValue(s) >> bit) & 1n).length;
        assert.ok(ones > STATES * 0.2 && ones < STATES * 0.8, `bit ${bit} is set in ${ones} of ${STATES} states`);
      }
      assert.equal(new Set(states).size, STATES);
    });
  });

  describe(`routes without authentication have per-address budgets (${engine})`, () => {
    let ctx: TestContext;
    before(async () => {
      ctx = await createTestContext(engine);
    });
    after(() => ctx.close());

    const from = (address: string, url: string, headers: Record<string, string> = {}) =>
      ctx.app.inject({ method: 'GET', url, remoteAddress: address, headers });

    test('the OAuth callback: 60 per minute per address, then a 429 page with Retry-After; another address is unaffected', async () => {
      const url = '/oauth/callback/instagram?code=guess&state=st_01ARZ3NDEKTSV4RRFFQ69G5FAV';
      for (let i = 0; i < 60; i++) assert.equal((await from('203.0.113.7', url)).statusCode, 400, `callback ${i + 1}`);
      const limited = await from('203.0.113.7', url);
      assert.equal(limited.statusCode, 429);
      assert.match(String(limited.headers['content-type']), /^text\/html/);
      assert.match(limited.body, /<html/);
      const retryAfter = Number(limited.headers['retry-after']);
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${limited.headers['retry-after']}`);
      assert.equal((await from('198.51.100.9', url)).statusCode, 400, 'another address has its own budget');
    });

    test('X-Forwarded-For buys no fresh budget: proxies are not trusted unless TRUST_PROXY says so', async () => {
      const url = '/oauth/callback/tiktok?code=guess&state=st_01ARZ3NDEKTSV4RRFFQ69G5FAV';
      for (let i = 0; i < 60; i++) await from('192.0.2.44', url, { 'x-forwarded-for': `10.0.${i}.1` });
      assert.equal((await from('192.0.2.44', url, { 'x-forwarded-for': '10.9.9.9' })).statusCode, 429);
    });

    test('an IPv6 client spends one budget for its whole /64', async () => {
      const url = '/oauth/callback/tiktok?state=st_01ARZ3NDEKTSV4RRFFQ69G5FAV';
      for (let i = 0; i < 60; i++) await from(`2001:db8:1:2::${(i + 1).toString(16)}`, url);
      assert.equal((await from('2001:db8:1:2:ffff::1', url)).statusCode, 429);
      assert.equal((await from('2001:db8:1:3::1', url)).statusCode, 400, 'the next /64 is another client');
    });

    test('health, readiness, metrics, OpenAPI, docs, media and unmatched paths: 600 per minute per address, then the 429 envelope', async () => {
      const urls = ['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs', '/media/med_2d0e6d4c-8a6b-4b8f-9a53-6f1d4c3b2a10', '/no/such/path'];
      for (let i = 0; i < 600; i++) {
        const res = await from('203.0.113.80', urls[i % urls.length] as string);
        assert.ok(res.statusCode < 429, `${urls[i % urls.length]} answered ${res.statusCode} within the budget`);
      }
      for (const url of urls) {
        const res = await from('203.0.113.80', url);
        assert.equal(res.statusCode, 429, url);
        const body = res.json() as { error: { code: string; requestId: string; details: { endpointClass: string; retryAfterSeconds: number } } };
        assert.equal(body.error.code, 'RATE_LIMITED');
        assert.equal(body.error.details.endpointClass, 'public');
        assert.equal(res.headers['x-request-id'], body.error.requestId);
        assert.equal(Number(res.headers['retry-after']), body.error.details.retryAfterSeconds);
      }
    });
  });
}
