import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { consent, followToCallback } from '../support/consent.ts';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import { expectIssuePaths, newProject, oauthStatus, uniqueUser } from '../social/helpers.ts';

/**
 * Findings 5 and 6: a returnUrl holding a character above U+00FF made a successful connect end in
 * a bare 500 (the raw URL went into Location), and `http://localhost\@evil.com/` passed the host
 * check although curl and Python's urllib go to evil.com. Return URLs with userinfo, backslashes
 * or control characters are refused (422 at `returnUrl`); the rest are normalised once, at mint
 * time (WHATWG serialisation), stored and redirected to in that form: Location is always ASCII.
 */
const ASCII = /^[\x21-\x7e]+$/;

for (const engine of engines) {
  describe(`returnUrl is refused when ambiguous and normalised otherwise (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;
    let projectId: string;
    const mint = (returnUrl: string, platform: 'tiktok' | 'instagram' = 'tiktok') =>
      ctx.call({ method: 'POST', url: `/v1/projects/${projectId}/social/oauth-url`, key: tenant.secret, body: { platform, returnUrl } });

    before(async () => {
      ctx = await createTestContext(engine, { emulator: true });
      tenant = await ctx.tenant({ returnDomains: ['localhost', 'app.example.com'] });
      projectId = await newProject(ctx, tenant.secret);
    });
    after(() => ctx.close());

    for (const [raw, normalised, platform] of [
      ['https://app.example.com/✓', 'https://app.example.com/%E2%9C%93', 'tiktok'],
      ['https://app.example.com/日本?tab=設定#ü', 'https://app.example.com/%E6%97%A5%E6%9C%AC?tab=%E8%A8%AD%E5%AE%9A#%C3%BC', 'instagram'],
      ['https://ａｐｐ.ｅｘａｍｐｌｅ.com/back', 'https://app.example.com/back', 'tiktok'],
      ['HTTPS://APP.EXAMPLE.COM:443/a/../b', 'https://app.example.com/b', 'instagram'],
    ] as const) {
      test(`${raw}: stored and redirected to as ${normalised}, on success and on failure`, async () => {
        const minted = await mint(raw, platform);
        assert.equal(minted.statusCode, 200, minted.body);
        const { state, authorizeUrl } = minted.json() as { state: string; authorizeUrl: string };
        const stored = await ctx.database.db.selectFrom('oauth_states').select('return_url').where('id', '=', state).executeTakeFirstOrThrow();
        assert.equal(stored.return_url, normalised);

        const connected = await followToCallback(ctx, await consent(authorizeUrl, { username: uniqueUser('unicode') }));
        assert.equal(connected.statusCode, 302, connected.body);
        assert.equal(connected.headers.location, normalised);
        assert.match(String(connected.headers.location), ASCII);
        assert.equal((await oauthStatus(ctx, tenant.secret, state)).status, 'completed');

        const denied = (await mint(raw, platform)).json() as { authorizeUrl: string };
        const failed = await followToCallback(ctx, await consent(denied.authorizeUrl, { decision: 'deny' }));
        assert.equal(failed.statusCode, 302, failed.body);
        assert.match(String(failed.headers.location), ASCII);
        assert.equal(new URL(String(failed.headers.location)).searchParams.get('layers_oauth_error'), 'USER_DENIED');
      });
    }

    test('userinfo, backslashes, control characters and surrounding whitespace: 422 at returnUrl, no state minted', async () => {
      const states = async () => Number((await ctx.database.db.selectFrom('oauth_states').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      const before = await states();
      for (const raw of [
        'http://localhost\\@evil.com/',
        'http://localhost\\evil.com/',
        'https://app.example.com\\@evil.com/back',
        'https://user@app.example.com/back',
        'https://user:pass@app.example.com/back',
        'https://evil.com@app.example.com/back',
        'https://app.example.com/a\tb',
        'https://app.example.com/a\nb',
        'https://app.example.com/\u0000',
        'https://app.example.com/\u007f',
        'https://app.example.com/\u0085',
        ' https://app.example.com/back',
        'https://app.example.com/back ',
      ]) {
        for (const kind of ['oauth-url', 'reauth-url'] as const) {
          const body = kind === 'oauth-url' ? { platform: 'tiktok', returnUrl: raw } : { socialAccountId: 'sa_00000000-0000-4000-8000-000000000000', returnUrl: raw };
          const res = await ctx.call({ method: 'POST', url: `/v1/projects/${projectId}/social/${kind}`, key: tenant.secret, body });
          assert.deepEqual(expectIssuePaths(res), ['returnUrl'], `${kind} ${JSON.stringify(raw)}: ${res.body}`);
        }
      }
      assert.equal(await states(), before);
    });
  });
}
