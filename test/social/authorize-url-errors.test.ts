import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { killApiKey } from '../../src/api-keys/api-keys.ts';
import { setGlobalKillSwitch } from '../../src/organizations/global-kill-switch.ts';
import { setOrganizationSuspended } from '../../src/organizations/organizations.ts';
import { PLATFORMS, platformModule, REAUTH_ELIGIBLE } from '../../src/platforms/registry.ts';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import {
  connectAccount,
  expectError,
  expectIssuePaths,
  insertAccount,
  MINUTE,
  newProject,
  RETURN_URL,
  STATE_ID,
  uniqueUser,
} from './helpers.ts';

/**
 * The error table of the seed page (reauth-url), which oauth-url follows too: every row, for both
 * endpoints, on every platform (reauth-url where the platform offers it). Each case asserts the envelope, the details a client would read,
 * and that a refused request left no state behind.
 */
type Kind = 'oauth-url' | 'reauth-url';
const KINDS: Kind[] = ['oauth-url', 'reauth-url'];

for (const engine of engines) {
  for (const platform of PLATFORMS) {
    const reauthable = REAUTH_ELIGIBLE.includes(platform);
    const kinds = reauthable ? KINDS : KINDS.filter((kind) => kind === 'oauth-url');
    describe(`oauth-url / reauth-url errors on ${platform} (${engine})`, () => {
      let ctx: TestContext;
      let tenant: Tenant;
      let projectId: string;
      let accountId: string;

      const url = (kind: Kind, project = projectId) => `/v1/projects/${project}/social/${kind}`;
      const validBody = (kind: Kind, overrides: Record<string, unknown> = {}) =>
        kind === 'oauth-url' ? { platform, returnUrl: RETURN_URL, ...overrides } : { socialAccountId: accountId, returnUrl: RETURN_URL, ...overrides };
      const mint = (kind: Kind, options: { body?: unknown; key?: string; project?: string; headers?: Record<string, string> } = {}) =>
        ctx.call({
          method: 'POST',
          url: url(kind, options.project),
          key: options.key ?? tenant.secret,
          body: options.body === undefined ? validBody(kind) : options.body,
          ...(options.headers ? { headers: options.headers } : {}),
        });
      const countStates = async () =>
        Number((await ctx.database.db.selectFrom('oauth_states').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

      before(async () => {
        ctx = await createTestContext(engine, { emulator: true });
        tenant = await ctx.tenant();
        projectId = await newProject(ctx, tenant.secret);
        accountId = await connectAccount(ctx, tenant, projectId, platform, uniqueUser(`${platform}_err`));
      });
      after(() => ctx.close());

      for (const kind of kinds) {
        test(`${kind}: the baseline succeeds with { authorizeUrl, state, expiresAt } (expiresAt = now + 10 min)`, async () => {
          const res = await mint(kind);
          assert.equal(res.statusCode, 200, res.body);
          const body = res.json();
          assert.deepEqual(Object.keys(body).sort(), ['authorizeUrl', 'expiresAt', 'state']);
          assert.match(body.state, STATE_ID);
          assert.equal(body.expiresAt, new Date(ctx.clock.now().getTime() + 10 * MINUTE).toISOString());
          const authorize = new URL(body.authorizeUrl);
          assert.equal(authorize.searchParams.get('state'), body.state);
          assert.equal(authorize.searchParams.get('redirect_uri'), `http://127.0.0.1:8080/oauth/callback/${platform}`);
          if (platformModule(platform).oauth.pkce === 'S256') assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
        });

        test(`${kind}: 400 VALIDATION when the body is not parseable JSON (and no state is created)`, async () => {
          const before = await countStates();
          expectError(await mint(kind, { body: '{"returnUrl": "https://app.example.com/x",' }), 400, 'VALIDATION');
          expectError(await mint(kind, { body: '', headers: { 'content-type': 'application/json' } }), 400, 'VALIDATION');
          expectError(await mint(kind, { body: JSON.stringify(validBody(kind)), headers: { 'content-type': 'text/plain' } }), 400, 'VALIDATION');
          assert.equal(await countStates(), before);
        });

        test(`${kind}: 401 UNAUTHENTICATED without a usable Authorization header`, async () => {
          expectError(await ctx.call({ method: 'POST', url: url(kind), body: validBody(kind) }), 401, 'UNAUTHENTICATED');
          expectError(await mint(kind, { key: 'lp_test_nonsense' }), 401, 'UNAUTHENTICATED');
          const wrongSecret = tenant.secret.slice(0, -43) + 'A'.repeat(43);
          expectError(await mint(kind, { key: wrongSecret }), 401, 'UNAUTHENTICATED');
          expectError(await mint(kind, { headers: { authorization: `Basic ${tenant.secret}` } }), 401, 'UNAUTHENTICATED');
          // The same key presented with the other environment prefix.
          expectError(await mint(kind, { key: tenant.secret.replace(/^lp_test_/, 'lp_live_') }), 401, 'UNAUTHENTICATED');
        });

        test(`${kind}: 403 FORBIDDEN_SCOPE for a key without social:write (details.requiredScope), checked before the body`, async () => {
          const readOnly = await ctx.key(tenant.organizationId, { scopes: ['social:read', 'projects:read', 'projects:write'] });
          assert.deepEqual(expectError(await mint(kind, { key: readOnly.secret }), 403, 'FORBIDDEN_SCOPE'), { requiredScope: 'social:write' });
          assert.deepEqual(expectError(await mint(kind, { key: readOnly.secret, body: '{oops' }), 403, 'FORBIDDEN_SCOPE'), {
            requiredScope: 'social:write',
          });
          const writer = await ctx.key(tenant.organizationId, { scopes: ['social:write'] });
          assert.equal((await mint(kind, { key: writer.secret })).statusCode, 200);
        });

        test(`${kind}: 403 RETURN_URL_NOT_ALLOWED echoes details.returnUrl and details.host; host match is exact and case-insensitive`, async () => {
          const before = await countStates();
          const foreign = 'https://evil.example.net/steal?x=1';
          assert.deepEqual(expectError(await mint(kind, { body: validBody(kind, { returnUrl: foreign }) }), 403, 'RETURN_URL_NOT_ALLOWED'), {
            returnUrl: foreign,
            host: 'evil.example.net',
          });
          const subdomain = 'https://eu.app.example.com/back';
          assert.deepEqual(expectError(await mint(kind, { body: validBody(kind, { returnUrl: subdomain }) }), 403, 'RETURN_URL_NOT_ALLOWED'), {
            returnUrl: subdomain,
            host: 'eu.app.example.com',
          });
          const parent = 'https://example.com/back';
          assert.equal(expectError(await mint(kind, { body: validBody(kind, { returnUrl: parent }) }), 403, 'RETURN_URL_NOT_ALLOWED')['host'], 'example.com');
          const lookalike = 'https://app.example.com.evil.net/back';
          assert.equal(expectError(await mint(kind, { body: validBody(kind, { returnUrl: lookalike }) }), 403, 'RETURN_URL_NOT_ALLOWED')['returnUrl'], lookalike);
          // Userinfo and backslashes are refused before any host check (parsers disagree on them): 422 at returnUrl.
          for (const ambiguous of ['https://app.example.com@evil.net/back', 'https://evil.net\\@app.example.com/back']) {
            assert.deepEqual(expectIssuePaths(await mint(kind, { body: validBody(kind, { returnUrl: ambiguous }) })), ['returnUrl']);
          }
          assert.equal(await countStates(), before, 'a refused returnUrl mints no state');

          const upper = await mint(kind, { body: validBody(kind, { returnUrl: 'https://APP.Example.COM/Back?Tab=1' }) });
          assert.equal(upper.statusCode, 200, upper.body);
          const localhost = await mint(kind, { body: validBody(kind, { returnUrl: 'http://localhost:3000/cb' }) });
          assert.equal(localhost.statusCode, 200, localhost.body);
        });

        test(`${kind}: 404 NOT_FOUND for a project of another organization or no project at all`, async () => {
          const other = await ctx.tenant({ orgName: 'Other Org' });
          const otherProject = await newProject(ctx, other.secret, 'Their app');
          const before = await countStates();
          expectError(await mint(kind, { project: otherProject }), 404, 'NOT_FOUND');
          expectError(await mint(kind, { project: `prj_${randomUUID()}` }), 404, 'NOT_FOUND');
          // The other organization's key cannot reach our project either.
          expectError(await mint(kind, { key: other.secret }), 404, 'NOT_FOUND');
          assert.equal(await countStates(), before);
          // A bare UUID in the path is the same project.
          assert.equal((await mint(kind, { project: projectId.slice('prj_'.length) })).statusCode, 200);
        });

        test(`${kind}: 409 IDEMPOTENCY_CONFLICT for a reused key with another body; the same body mints a fresh state`, async () => {
          const key = `idem-${randomUUID()}`;
          const headers = { 'idempotency-key': key };
          const first = await mint(kind, { headers });
          assert.equal(first.statusCode, 200, first.body);
          const again = await mint(kind, { headers });
          assert.equal(again.statusCode, 200, again.body);
          assert.equal(again.headers['idempotent-replayed'], undefined, 'never replayed');
          assert.notEqual(again.json().state, first.json().state, 'a fresh state each time');
          assert.notEqual(again.json().authorizeUrl, first.json().authorizeUrl);

          const changed = await mint(kind, { headers, body: validBody(kind, { returnUrl: 'https://app.example.com/elsewhere' }) });
          const details = expectError(changed, 409, 'IDEMPOTENCY_CONFLICT');
          assert.match(String(details['originalRequestHash']), /^[0-9a-f]{64}$/);
          assert.match(String(details['currentRequestHash']), /^[0-9a-f]{64}$/);
          assert.notEqual(details['originalRequestHash'], details['currentRequestHash']);
        });

        test(`${kind}: 422 VALIDATION lists returnUrl problems, unknown fields and scope bounds in details.issues[]`, async () => {
          const before = await countStates();
          for (const returnUrl of ['/connected', 'app.example.com/connected', 'ftp://app.example.com/x', 'javascript:alert(1)', 42]) {
            assert.deepEqual(expectIssuePaths(await mint(kind, { body: validBody(kind, { returnUrl }) })), ['returnUrl'], String(returnUrl));
          }
          const { returnUrl: _omitted, ...withoutReturnUrl } = validBody(kind) as Record<string, unknown>;
          assert.deepEqual(expectIssuePaths(await mint(kind, { body: withoutReturnUrl })), ['returnUrl']);
          assert.deepEqual(expectIssuePaths(await mint(kind, { body: validBody(kind, { surprise: true }) })), ['surprise']);
          assert.deepEqual(expectIssuePaths(await mint(kind, { body: validBody(kind, { a: 1, b: 2 }) })).sort(), ['a', 'b']);

          const tooMany = Array.from({ length: 33 }, (_, i) => `scope.${i}`);
          assert.deepEqual(expectIssuePaths(await mint(kind, { body: validBody(kind, { scopes: tooMany }) })), ['scopes']);
          assert.deepEqual(expectIssuePaths(await mint(kind, { body: validBody(kind, { scopes: ['ok', 'x'.repeat(65)] }) })), ['scopes.1']);
          assert.deepEqual(expectIssuePaths(await mint(kind, { body: validBody(kind, { scopes: [] }) })), ['scopes']);
          assert.deepEqual(expectIssuePaths(await mint(kind, { body: validBody(kind, { scopes: [''] }) })), ['scopes.0']);
          assert.deepEqual(expectIssuePaths(await mint(kind, { body: validBody(kind, { scopes: 'video.publish' }) })), ['scopes']);
          // Several failures at once: one issue each.
          const several = expectIssuePaths(await mint(kind, { body: validBody(kind, { returnUrl: 'nope', scopes: tooMany, extra: 1 }) })).sort();
          assert.deepEqual(several, ['extra', 'returnUrl', 'scopes']);
          assert.equal(await countStates(), before, 'a 422 mints no state');

          // The bounds themselves are allowed: 32 scopes of 64 characters.
          const atBounds = Array.from({ length: 32 }, (_, i) => `${i}`.padStart(64, 's'));
          const ok = await mint(kind, { body: validBody(kind, { scopes: atBounds }) });
          assert.equal(ok.statusCode, 200, ok.body);
        });

        test(`${kind}: 422 comes after the body parses and before any resource lookup (unknown project + bad body → 422)`, async () => {
          expectIssuePaths(await mint(kind, { project: `prj_${randomUUID()}`, body: validBody(kind, { returnUrl: 'nope' }) }));
        });

        test(`${kind}: 503 KILL_SWITCH for a killed key, a suspended organization and the global switch (before scope and body)`, async () => {
          const doomed = await ctx.key(tenant.organizationId, { scopes: ['social:read'] });
          await killApiKey(ctx.database.db, ctx.clock, doomed.id);
          assert.deepEqual(expectError(await mint(kind, { key: doomed.secret, body: '{bad' }), 503, 'KILL_SWITCH'), { scope: 'key' });

          const suspended = await ctx.tenant({ orgName: 'Suspended Co' });
          await setOrganizationSuspended(ctx.database.db, ctx.clock, suspended.organizationId, true);
          assert.deepEqual(expectError(await mint(kind, { key: suspended.secret }), 503, 'KILL_SWITCH'), { scope: 'org' });

          const before = await countStates();
          try {
            await setGlobalKillSwitch(ctx.database.db, ctx.clock, true);
            assert.deepEqual(expectError(await mint(kind), 503, 'KILL_SWITCH'), { scope: 'global' });
            expectError(await ctx.call({ method: 'POST', url: url(kind), body: validBody(kind) }), 401, 'UNAUTHENTICATED');
          } finally {
            await setGlobalKillSwitch(ctx.database.db, ctx.clock, false);
          }
          assert.equal(await countStates(), before);
          assert.equal((await mint(kind)).statusCode, 200);
        });
      }

      test('oauth-url: 422 for a platform that is missing or not supported; usageNote over 500 characters', async () => {
        assert.deepEqual(expectIssuePaths(await mint('oauth-url', { body: { returnUrl: RETURN_URL } })), ['platform']);
        assert.deepEqual(expectIssuePaths(await mint('oauth-url', { body: { platform: 'myspace', returnUrl: RETURN_URL } })), ['platform']);
        assert.deepEqual(expectIssuePaths(await mint('oauth-url', { body: { platform: 'TikTok', returnUrl: RETURN_URL } })), ['platform']);
        assert.deepEqual(expectIssuePaths(await mint('oauth-url', { body: validBody('oauth-url', { usageNote: 'n'.repeat(501) }) })), ['usageNote']);
        assert.equal((await mint('oauth-url', { body: validBody('oauth-url', { usageNote: 'n'.repeat(500) }) })).statusCode, 200);
      });

      test('reauth-url: 422 when socialAccountId is not the prefixed sa_<uuid> (a bare UUID included)', async () => {
        const bare = accountId.slice('sa_'.length);
        for (const socialAccountId of [bare, 'sa_123', `prj_${bare}`, `SA_${bare}`, `sa_${bare}x`, 17, null]) {
          assert.deepEqual(expectIssuePaths(await mint('reauth-url', { body: validBody('reauth-url', { socialAccountId }) })), ['socialAccountId'], String(socialAccountId));
        }
        assert.deepEqual(expectIssuePaths(await mint('reauth-url', { body: { returnUrl: RETURN_URL } })), ['socialAccountId']);
        // oauth-url's own fields are unknown here.
        assert.deepEqual(expectIssuePaths(await mint('reauth-url', { body: validBody('reauth-url', { platform }) })), ['platform']);
        assert.deepEqual(expectIssuePaths(await mint('reauth-url', { body: validBody('reauth-url', { usageNote: 'hi' }) })), ['usageNote']);
      });

      test('reauth-url: 400 VALIDATION naming the platform when the account is not reauth-eligible', async () => {
        const youtubeProject = await newProject(ctx, tenant.secret, 'Video app');
        const youtube = await insertAccount(ctx, { organizationId: tenant.organizationId, projectId: youtubeProject, platform: 'youtube' });
        const before = await countStates();
        const res = await mint('reauth-url', { project: youtubeProject, body: { socialAccountId: youtube, returnUrl: RETURN_URL } });
        expectError(res, 400, 'VALIDATION');
        assert.match(res.json().error.message, /youtube/);
        assert.equal(await countStates(), before);
      });

      if (reauthable) {
        test('reauth-url: 404 NOT_FOUND for an unknown account, one in another project, one of another organization, and one disconnected by DELETE', async () => {
          const before = await countStates();
          expectError(await mint('reauth-url', { body: validBody('reauth-url', { socialAccountId: `sa_${randomUUID()}` }) }), 404, 'NOT_FOUND');

          const sibling = await newProject(ctx, tenant.secret, 'Sibling app');
          const elsewhere = await insertAccount(ctx, { organizationId: tenant.organizationId, projectId: sibling, platform });
          expectError(await mint('reauth-url', { body: validBody('reauth-url', { socialAccountId: elsewhere }) }), 404, 'NOT_FOUND');
          // …while through its own project it works: the 404 is about the pairing.
          const own = await mint('reauth-url', { project: sibling, body: validBody('reauth-url', { socialAccountId: elsewhere }) });
          assert.equal(own.statusCode, 200, own.body);

          const other = await ctx.tenant({ orgName: 'Other Org 2' });
          const otherProject = await newProject(ctx, other.secret, 'Their app');
          const theirs = await insertAccount(ctx, { organizationId: other.organizationId, projectId: otherProject, platform });
          expectError(await mint('reauth-url', { body: validBody('reauth-url', { socialAccountId: theirs }) }), 404, 'NOT_FOUND');
          expectError(await mint('reauth-url', { project: otherProject, body: validBody('reauth-url', { socialAccountId: theirs }) }), 404, 'NOT_FOUND');

          const doomed = await connectAccount(ctx, tenant, projectId, platform, uniqueUser(`${platform}_gone`));
          assert.equal((await ctx.call({ method: 'DELETE', url: `/v1/social-accounts/${doomed}`, key: tenant.secret })).statusCode, 200);
          const gone = await mint('reauth-url', { body: validBody('reauth-url', { socialAccountId: doomed }) });
          expectError(gone, 404, 'NOT_FOUND');
          // 404 wins over a disallowed returnUrl: resources are checked before business rules.
          expectError(await mint('reauth-url', { body: { socialAccountId: doomed, returnUrl: 'https://evil.example.net/' } }), 404, 'NOT_FOUND');
          // Disconnected is final; oauth-url is the way back.
          assert.equal((await mint('oauth-url')).statusCode, 200);
          assert.equal(await countStates(), before + 3, 'only the sibling reauth, the connect of the doomed account and the last oauth-url minted states');
        });
      }

      test('429 RATE_LIMITED: a standard key gets 30 oauth-class requests a minute, shared by oauth-url and reauth-url', async () => {
        const standard = await ctx.key(tenant.organizationId, { tier: 'standard' });
        for (let i = 0; i < 30; i++) {
          const kind = i % 2 === 1 && reauthable ? 'reauth-url' : 'oauth-url';
          const res = await mint(kind, { key: standard.secret });
          assert.equal(res.statusCode, 200, `request ${i + 1}: ${res.body}`);
          assert.equal(res.headers['x-ratelimit-endpoint-class'], 'oauth');
          assert.equal(res.headers['x-ratelimit-limit'], '30');
          assert.equal(res.headers['x-ratelimit-remaining'], String(29 - i));
        }
        for (const kind of KINDS) {
          const limited = await mint(kind, { key: standard.secret });
          const details = expectError(limited, 429, 'RATE_LIMITED');
          assert.equal(details['endpointClass'], 'oauth');
          assert.equal(typeof details['retryAfterSeconds'], 'number');
          assert.ok((details['retryAfterSeconds'] as number) >= 1 && (details['retryAfterSeconds'] as number) <= 60);
          assert.equal(limited.headers['retry-after'], String(details['retryAfterSeconds']));
          assert.equal(limited.headers['x-ratelimit-remaining'], '0');
        }
        // Rate limiting comes before the body is read.
        expectError(await mint('oauth-url', { key: standard.secret, body: '{bad' }), 429, 'RATE_LIMITED');
        // Other classes keep their own budget.
        const read = await ctx.call({ method: 'GET', url: `/v1/projects/${projectId}/social-accounts`, key: standard.secret });
        assert.equal(read.statusCode, 200);
        assert.equal(read.headers['x-ratelimit-endpoint-class'], 'read');
        // Another key of the same organization is unaffected.
        assert.equal((await mint('oauth-url')).statusCode, 200);
      });
    });
  }
}
