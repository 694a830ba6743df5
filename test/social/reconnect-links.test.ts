import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyRequest, LightMyRequestResponse } from 'fastify';
import { killApiKey } from '../../src/api-keys/api-keys.ts';
import { purgeExpired } from '../../src/housekeeping.ts';
import { requestSerializer } from '../../src/http/logging.ts';
import { setGlobalKillSwitch } from '../../src/organizations/global-kill-switch.ts';
import { setOrganizationSuspended } from '../../src/organizations/organizations.ts';
import { PLATFORMS, REAUTH_ELIGIBLE, type PlatformId } from '../../src/platforms/registry.ts';
import { consent, followToCallback } from '../support/consent.ts';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import { accountRow, connectAccount, countAccounts, expectError, expectIssuePaths, insertAccount, newProject, oauthStatus, RETURN_URL, STATE_ID, uniqueUser } from './helpers.ts';

const PLATFORM = REAUTH_ELIGIBLE[0] as PlatformId;
const DAY = 24 * 60 * 60 * 1000;
const LINK_URL = /^http:\/\/127\.0\.0\.1:8080\/reconnect\/([A-Za-z0-9_-]{43})$/;

interface CreatedLink {
  linkId: string;
  kind: 'connect' | 'reauth';
  url: string;
  expiresAt: string;
  socialAccountId: string | null;
  status: string;
}

for (const engine of engines) {
  describe(`reconnect links (${engine})`, () => {
    let ctx: TestContext;
    before(async () => {
      ctx = await createTestContext(engine, { emulator: true });
    });
    after(() => ctx.close());

    /** A tenant with a project and one connected account whose grant the person then revoked upstream. */
    async function accountNeedingReauth(): Promise<{ tenant: Tenant; projectId: string; socialAccountId: string; username: string }> {
      const tenant = await ctx.tenant();
      const projectId = await newProject(ctx, tenant.secret);
      const username = uniqueUser('relink');
      const socialAccountId = await connectAccount(ctx, tenant, projectId, PLATFORM, username);
      const revoke = await fetch(`${ctx.emulatorUrl}/_control/users/${PLATFORM}/${username}/revoke`, { method: 'POST' });
      assert.equal(revoke.status, 200);
      const health = await ctx.call({ method: 'GET', url: `/v1/social-accounts/${socialAccountId}/health?check=live`, key: tenant.secret });
      assert.equal(health.json().status, 'reauth_required', health.body);
      return { tenant, projectId, socialAccountId, username };
    }

    async function createLink(secret: string, projectId: string, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<CreatedLink> {
      const res = await ctx.call({ method: 'POST', url: `/v1/projects/${projectId}/social/reconnect-links`, key: secret, body: { returnUrl: RETURN_URL, ...body }, headers });
      assert.equal(res.statusCode, 201, res.body);
      const link = res.json() as CreatedLink;
      assert.match(link.url, LINK_URL);
      return link;
    }

    /** The person's browser opening the link (no API key). */
    function click(link: { url: string }): Promise<LightMyRequestResponse> {
      return ctx.app.inject({ method: 'GET', url: new URL(link.url).pathname });
    }

    async function readLink(secret: string, linkId: string): Promise<Record<string, any>> {
      const res = await ctx.call({ method: 'GET', url: `/v1/social/reconnect-links/${linkId}`, key: secret });
      assert.equal(res.statusCode, 200, res.body);
      return res.json();
    }

    /** A plain HTML page (never a redirect) with this status, saying this. */
    function expectPage(res: LightMyRequestResponse, status: number, says: RegExp): void {
      assert.equal(res.statusCode, status, res.body);
      assert.equal(res.headers.location, undefined, 'never a redirect');
      assert.match(String(res.headers['content-type']), /^text\/html/);
      assert.match(res.body, says);
      assert.match(res.body, /new link/, 'says what to do');
    }

    test('clicked days after it was made (long past a state’s 10 minutes), the link reconnects the same socialAccountId', async () => {
      const { tenant, projectId, socialAccountId, username } = await accountNeedingReauth();
      const link = await createLink(tenant.secret, projectId, { socialAccountId });
      assert.equal(link.kind, 'reauth');
      assert.equal(link.socialAccountId, socialAccountId);
      assert.equal(link.status, 'active');
      assert.equal(Date.parse(link.expiresAt) - ctx.clock.now().getTime(), 7 * DAY, 'lives 7 days by default');

      ctx.clock.advance(3 * DAY);
      const first = await click(link);
      assert.equal(first.statusCode, 302, first.body);
      assert.equal(first.headers['cache-control'], 'no-store');
      const authorizeUrl = String(first.headers.location);
      assert.ok(authorizeUrl.startsWith(ctx.emulatorUrl as string), authorizeUrl);
      const afterFirst = await readLink(tenant.secret, link.linkId);
      assert.equal(afterFirst.clicks, 1);
      assert.match(afterFirst.lastState, STATE_ID);
      assert.equal(new URL(authorizeUrl).searchParams.get('state'), afterFirst.lastState);
      const pending = await oauthStatus(ctx, tenant.secret, afterFirst.lastState);
      assert.deepEqual([pending.kind, pending.status, pending.socialAccountId], ['reauth', 'pending', socialAccountId], 'the creating key polls the click in progress');

      // The person clicks again before finishing: a fresh state, and that one is completed.
      const second = await click(link);
      assert.equal(second.statusCode, 302);
      const afterSecond = await readLink(tenant.secret, link.linkId);
      assert.equal(afterSecond.clicks, 2);
      assert.notEqual(afterSecond.lastState, afterFirst.lastState, 'every click mints a fresh state');
      const callback = await followToCallback(ctx, await consent(String(second.headers.location), { username }));
      assert.equal(callback.statusCode, 302, callback.body);
      assert.equal(callback.headers.location, RETURN_URL, 'back to returnUrl with no added parameters');

      const done = await oauthStatus(ctx, tenant.secret, afterSecond.lastState);
      assert.deepEqual([done.status, done.socialAccountId], ['completed', socialAccountId]);
      const account = await accountRow(ctx, socialAccountId);
      assert.equal(account.status, 'connected');
      assert.equal(await countAccounts(ctx, projectId), 1, 'no new account');
      const used = await readLink(tenant.secret, link.linkId);
      assert.equal(used.status, 'used');
      assert.equal(used.usedAt, ctx.clock.now().toISOString());

      // Once used, a click goes straight back to returnUrl; the first click's state binds nothing more.
      const later = await click(link);
      assert.equal(later.statusCode, 302);
      assert.equal(later.headers.location, RETURN_URL);
      assert.equal((await readLink(tenant.secret, link.linkId)).clicks, 3);
      const stale = await followToCallback(ctx, await consent(authorizeUrl, { username }));
      assert.equal(stale.headers.location, `${RETURN_URL}?layers_oauth_error=STATE_EXPIRED`);
      assert.equal((await oauthStatus(ctx, tenant.secret, afterFirst.lastState)).status, 'failed');
    });

    test('the token is stored only as a keyed hash', async () => {
      const { tenant, projectId, socialAccountId } = await accountNeedingReauth();
      const link = await createLink(tenant.secret, projectId, { socialAccountId }, { 'idempotency-key': 'link-1' });
      const token = (LINK_URL.exec(link.url) as RegExpExecArray)[1] as string;
      const row = await ctx.database.db.selectFrom('reconnect_links').selectAll().where('id', '=', link.linkId).executeTakeFirstOrThrow();
      assert.match(row.token_hash, /^[0-9a-f]{64}$/);
      assert.ok(!Object.values(row).some((value) => String(value).includes(token)), 'not in the link row');
      for (const table of ['reconnect_links', 'idempotency_records', 'audit_log', 'oauth_states'] as const) {
        const rows = await ctx.database.db.selectFrom(table).selectAll().execute();
        assert.ok(!JSON.stringify(rows).includes(token), `not in ${table}`);
      }
      // The replay of the create (Idempotency-Key) still shows the URL: it is sealed, not stored in the clear.
      const replay = await ctx.call({ method: 'POST', url: `/v1/projects/${projectId}/social/reconnect-links`, key: tenant.secret, body: { socialAccountId, returnUrl: RETURN_URL }, headers: { 'idempotency-key': 'link-1' } });
      assert.equal(replay.statusCode, 201);
      assert.equal(replay.headers['idempotent-replayed'], 'true');
      assert.equal(replay.json().url, link.url);
      const conflict = await ctx.call({ method: 'POST', url: `/v1/projects/${projectId}/social/reconnect-links`, key: tenant.secret, body: { socialAccountId, returnUrl: RETURN_URL, expiresInSeconds: 600 }, headers: { 'idempotency-key': 'link-1' } });
      expectError(conflict, 409, 'IDEMPOTENCY_CONFLICT');
    });

    test('the request log shows a click without its token', async () => {
      const { tenant, projectId, socialAccountId } = await accountNeedingReauth();
      const link = await createLink(tenant.secret, projectId, { socialAccountId });
      const path = new URL(link.url).pathname;
      const logged = requestSerializer({ method: 'GET', url: `${path}?utm_source=mail`, ip: '203.0.113.9' } as FastifyRequest);
      assert.deepEqual(logged, { method: 'GET', url: '/reconnect/[redacted]?utm_source=mail', remoteAddress: '203.0.113.9' });
    });

    test('a connect link (platform instead of socialAccountId) creates the account once, then sends clicks back', async () => {
      const tenant = await ctx.tenant();
      const projectId = await newProject(ctx, tenant.secret);
      const link = await createLink(tenant.secret, projectId, { platform: PLATFORM, usageNote: 'from the welcome e-mail', expiresInSeconds: 2 * 86_400 });
      assert.deepEqual([link.kind, link.socialAccountId], ['connect', null]);
      ctx.clock.advance(DAY);
      const clicked = await click(link);
      assert.equal(clicked.statusCode, 302);
      const callback = await followToCallback(ctx, await consent(String(clicked.headers.location), { username: uniqueUser('newlink') }));
      assert.equal(callback.headers.location, RETURN_URL);
      const read = await readLink(tenant.secret, link.linkId);
      const status = await oauthStatus(ctx, tenant.secret, read.lastState);
      assert.deepEqual([status.kind, status.status, status.usageNote], ['connect', 'completed', 'from the welcome e-mail']);
      assert.deepEqual([read.status, read.socialAccountId], ['used', status.socialAccountId]);
      assert.equal((await click(link)).headers.location, RETURN_URL);
      assert.equal(await countAccounts(ctx, projectId), 1);
    });

    test('an expired, revoked or unknown link shows a page, never a redirect, and binds nothing', async () => {
      const { tenant, projectId, socialAccountId, username } = await accountNeedingReauth();
      const expiring = await createLink(tenant.secret, projectId, { socialAccountId, expiresInSeconds: 600 });
      ctx.clock.advance(601_000);
      expectPage(await click(expiring), 410, /has expired/);
      assert.equal((await readLink(tenant.secret, expiring.linkId)).status, 'expired');

      const revoked = await createLink(tenant.secret, projectId, { socialAccountId });
      const pendingClick = await click(revoked);
      const del = await ctx.call({ method: 'DELETE', url: `/v1/social/reconnect-links/${revoked.linkId}`, key: tenant.secret });
      assert.equal(del.statusCode, 200, del.body);
      assert.equal(del.json().status, 'revoked');
      expectPage(await click(revoked), 410, /withdrawn/);
      // A consent started by a click before the revoke binds nothing.
      const callback = await followToCallback(ctx, await consent(String(pendingClick.headers.location), { username }));
      assert.equal(callback.headers.location, `${RETURN_URL}?layers_oauth_error=STATE_EXPIRED`);
      assert.equal((await accountRow(ctx, socialAccountId)).status, 'reauth_required');
      assert.equal((await ctx.call({ method: 'DELETE', url: `/v1/social/reconnect-links/${revoked.linkId}`, key: tenant.secret })).json().status, 'revoked', 'revoking twice changes nothing');

      expectPage(await ctx.app.inject({ method: 'GET', url: `/reconnect/${'A'.repeat(43)}` }), 404, /not valid/);
      expectPage(await ctx.app.inject({ method: 'GET', url: '/reconnect/short' }), 404, /not valid/);
    });

    for (const [name, stop, says, status] of [
      ['the creating key was killed', (t: Tenant) => killApiKey(ctx.database.db, ctx.clock, t.apiKeyId), /cannot be used right now/, 503],
      ['the creating key was retired', (t: Tenant) => ctx.call({ method: 'DELETE', url: `/v1/api-keys/${t.apiKeyId}`, key: t.secret }), /cannot be used right now/, 503],
      ['the organization was suspended', (t: Tenant) => setOrganizationSuspended(ctx.database.db, ctx.clock, t.organizationId, true), /cannot be used right now/, 503],
      ['the project was archived', (t: Tenant, projectId: string) => ctx.call({ method: 'DELETE', url: `/v1/projects/${projectId}`, key: t.secret }), /no longer works/, 410],
      ['the account was disconnected', (t: Tenant, _p: string, sa: string) => ctx.call({ method: 'DELETE', url: `/v1/social-accounts/${sa}`, key: t.secret }), /no longer works/, 410],
    ] as const) {
      test(`${name}: the click shows a page and mints nothing`, async () => {
        const { tenant, projectId, socialAccountId } = await accountNeedingReauth();
        const link = await createLink(tenant.secret, projectId, { socialAccountId });
        await stop(tenant, projectId, socialAccountId);
        expectPage(await click(link), status, says);
        const states = await ctx.database.db.selectFrom('oauth_states').select('id').where('reconnect_link_id', '=', link.linkId).execute();
        assert.equal(states.length, 0, 'no state minted');
        assert.notEqual((await accountRow(ctx, socialAccountId)).status, 'connected', 'nothing bound');
      });
    }

    test('the global kill switch stops clicks too', async () => {
      const { tenant, projectId, socialAccountId } = await accountNeedingReauth();
      const link = await createLink(tenant.secret, projectId, { socialAccountId });
      await setGlobalKillSwitch(ctx.database.db, ctx.clock, true);
      try {
        expectPage(await click(link), 503, /cannot be used right now/);
      } finally {
        await setGlobalKillSwitch(ctx.database.db, ctx.clock, false);
      }
    });

    test('creation makes reauth-url’s and oauth-url’s checks; links are visible to the organization only', async () => {
      const { tenant, projectId, socialAccountId } = await accountNeedingReauth();
      const url = `/v1/projects/${projectId}/social/reconnect-links`;
      const post = (body: Record<string, unknown>, key = tenant.secret) => ctx.call({ method: 'POST', url, key, body: { returnUrl: RETURN_URL, ...body } });
      assert.deepEqual(expectIssuePaths(await post({})), ['socialAccountId']);
      assert.deepEqual(expectIssuePaths(await post({ socialAccountId, platform: PLATFORM })), ['socialAccountId']);
      assert.deepEqual(expectIssuePaths(await post({ socialAccountId, usageNote: 'x' })), ['usageNote']);
      assert.deepEqual(expectIssuePaths(await post({ socialAccountId, expiresInSeconds: 599 })), ['expiresInSeconds']);
      assert.deepEqual(expectIssuePaths(await post({ socialAccountId, expiresInSeconds: 2_592_001 })), ['expiresInSeconds']);
      expectError(await post({ socialAccountId, returnUrl: 'https://elsewhere.example.net/x' }), 403, 'RETURN_URL_NOT_ALLOWED');
      expectError(await post({ socialAccountId: `sa_${crypto.randomUUID()}` }), 404, 'NOT_FOUND');

      const link = await createLink(tenant.secret, projectId, { socialAccountId });
      const other = await ctx.tenant();
      expectError(await post({ socialAccountId }, other.secret), 404, 'NOT_FOUND');
      expectError(await ctx.call({ method: 'GET', url: `/v1/social/reconnect-links/${link.linkId}`, key: other.secret }), 404, 'NOT_FOUND');
      expectError(await ctx.call({ method: 'DELETE', url: `/v1/social/reconnect-links/${link.linkId}`, key: other.secret }), 404, 'NOT_FOUND');
      const sibling = await ctx.key(tenant.organizationId);
      assert.equal((await ctx.call({ method: 'GET', url: `/v1/social/reconnect-links/${link.linkId.slice(3)}`, key: sibling.secret })).json().linkId, link.linkId, 'any key of the organization, bare UUID too');

      const notEligible = PLATFORMS.find((platform) => !REAUTH_ELIGIBLE.includes(platform));
      if (notEligible) {
        const elsewhere = await insertAccount(ctx, { organizationId: tenant.organizationId, projectId, platform: notEligible });
        const refused = await post({ socialAccountId: elsewhere });
        expectError(refused, 400, 'VALIDATION');
        assert.match(refused.json().error.message, new RegExp(notEligible), 'names the platform, as reauth-url does');
        const connectLink = await createLink(tenant.secret, projectId, { platform: notEligible });
        assert.equal(connectLink.kind, 'connect', 'a connect link works for every platform');
      }
      // The lastState of a link is the creating key's: another key of the organization reads the link, not the state.
      const clicked = await click(link);
      assert.equal(clicked.statusCode, 302);
      const lastState = (await readLink(sibling.secret, link.linkId)).lastState as string;
      expectError(await ctx.call({ method: 'GET', url: `/v1/social/oauth-status/${lastState}`, key: sibling.secret }), 404, 'NOT_FOUND');
      assert.equal((await oauthStatus(ctx, tenant.secret, lastState)).status, 'pending');

      await ctx.call({ method: 'DELETE', url: `/v1/social-accounts/${socialAccountId}`, key: tenant.secret });
      expectError(await post({ socialAccountId }), 404, 'NOT_FOUND');
      await ctx.call({ method: 'DELETE', url: `/v1/projects/${projectId}`, key: tenant.secret });
      assert.equal(expectError(await post({ platform: PLATFORM }), 409, 'CONFLICT').currentStatus, 'archived');
    });

    test('housekeeping deletes a link 30 days after it expired; until then it reads expired', async () => {
      const { tenant, projectId, socialAccountId } = await accountNeedingReauth();
      const link = await createLink(tenant.secret, projectId, { socialAccountId, expiresInSeconds: 86_400 });
      ctx.clock.advance(DAY + 29 * DAY);
      await purgeExpired(ctx.database, ctx.clock);
      assert.equal((await readLink(tenant.secret, link.linkId)).status, 'expired');
      ctx.clock.advance(DAY + 1);
      assert.ok((await purgeExpired(ctx.database, ctx.clock)).reconnectLinks >= 1);
      expectError(await ctx.call({ method: 'GET', url: `/v1/social/reconnect-links/${link.linkId}`, key: tenant.secret }), 404, 'NOT_FOUND');
      assert.equal((await click(link)).statusCode, 404, 'an unknown link now');
    });

    test('a used link cannot be revoked', async () => {
      const tenant = await ctx.tenant();
      const projectId = await newProject(ctx, tenant.secret);
      const link = await createLink(tenant.secret, projectId, { platform: PLATFORM });
      const clicked = await click(link);
      await followToCallback(ctx, await consent(String(clicked.headers.location), { username: uniqueUser('usedlink') }));
      const details = expectError(await ctx.call({ method: 'DELETE', url: `/v1/social/reconnect-links/${link.linkId}`, key: tenant.secret }), 409, 'CONFLICT');
      assert.equal(details.currentStatus, 'used');
    });
  });
}

for (const engine of engines) {
  describe(`reconnect-link clicks are limited per address (${engine})`, () => {
    let ctx: TestContext;
    before(async () => {
      ctx = await createTestContext(engine, { addressLimits: { callback: 2, upload: 100, public: 100 } });
    });
    after(() => ctx.close());

    test('beyond the budget the browser gets a readable 429 page with Retry-After', async () => {
      const unknown = `/reconnect/${'B'.repeat(43)}`;
      for (let i = 0; i < 2; i++) assert.equal((await ctx.app.inject({ method: 'GET', url: unknown })).statusCode, 404);
      const limited = await ctx.app.inject({ method: 'GET', url: unknown });
      assert.equal(limited.statusCode, 429);
      assert.match(String(limited.headers['content-type']), /^text\/html/);
      assert.ok(Number(limited.headers['retry-after']) > 0);
      const other = await ctx.app.inject({ method: 'GET', url: unknown, remoteAddress: '198.51.100.7' });
      assert.equal(other.statusCode, 404, 'another address has its own budget');
    });
  });
}
