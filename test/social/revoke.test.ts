import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { TokenSet } from '../../src/platforms/tokens.ts';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import {
  accountRow,
  connectAccount,
  control,
  emulatorRequests,
  expectError,
  health,
  MINUTE,
  newProject,
  PLATFORM_LIST,
  RETURN_URL,
  uniqueUser,
} from './helpers.ts';

/**
 * Revoke (docs/reference/social-accounts.md, docs/behaviour.md): one transaction destroys the credential and disconnects the
 * account; afterwards every route treats it as gone, and the grant is revoked upstream.
 */
for (const engine of engines) {
  for (const platform of PLATFORM_LIST) {
    describe(`revoke on ${platform} (${engine})`, () => {
      let ctx: TestContext;
      let tenant: Tenant;
      let projectId: string;

      const revoke = (accountId: string, secret = tenant.secret) =>
        ctx.call({ method: 'DELETE', url: `/v1/social-accounts/${accountId}`, key: secret });
      const vaultEntryExists = async (id: string) =>
        (await ctx.database.db.selectFrom('vault_entries').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;

      before(async () => {
        ctx = await createTestContext(engine, { emulator: true });
        tenant = await ctx.tenant();
        projectId = await newProject(ctx, tenant.secret);
      });
      after(() => ctx.close());

      test('DELETE disconnects the account, destroys its vault entry and answers the §5.7 shape', async () => {
        const username = uniqueUser('revokee');
        const accountId = await connectAccount(ctx, tenant, projectId, platform, username);
        const before = await accountRow(ctx, accountId);
        const entryId = before.vault_entry_id as string;
        const tokens = await ctx.vault.get<TokenSet>(ctx.database.db, entryId);
        assert.ok(tokens);
        await control(ctx, 'DELETE', '/requests');
        ctx.clock.advance(MINUTE);

        const res = await revoke(accountId);
        assert.equal(res.statusCode, 200, res.body);
        const now = ctx.clock.now().toISOString();
        assert.deepEqual(res.json(), {
          socialAccountId: accountId,
          status: 'disconnected',
          disconnectedReason: 'revoked_by_partner',
          canceledScheduledPosts: 0,
          disconnectedAt: now,
        });
        assert.match(String(res.headers['x-request-id']), /^req_/);

        assert.equal(await vaultEntryExists(entryId), false, 'the vault entry row is gone');
        const row = await accountRow(ctx, accountId);
        assert.equal(row.status, 'disconnected');
        assert.equal(row.disconnected_reason, 'revoked_by_partner');
        assert.equal(row.disconnected_at, now);
        assert.equal(row.vault_entry_id, null);
        assert.equal(row.next_refresh_at, null, 'nothing will try to refresh it');

        const listed = (await ctx.call({ method: 'GET', url: `/v1/projects/${projectId}/social-accounts?status=disconnected`, key: tenant.secret })).json();
        const item = listed.items.find((a: { socialAccountId: string }) => a.socialAccountId === accountId);
        assert.equal(item.status, 'disconnected');
        assert.equal(item.disconnectedReason, 'revoked_by_partner');
        assert.equal(item.disconnectedAt, now);

        const seen = await emulatorRequests(ctx);
        if (platform === 'tiktok') {
          assert.equal(seen.filter((r) => r.platform === 'tiktok' && r.method === 'POST' && r.path.endsWith('/v2/oauth/revoke/')).length, 1, JSON.stringify(seen));
          const issued = (await control(ctx, 'GET', '/tokens/tiktok')).tokens as Array<{ token: string; state: string }>;
          assert.equal(issued.find((t) => t.token === tokens.accessToken)?.state, 'revoked');
          assert.equal(issued.find((t) => t.token === tokens.refreshToken)?.state, 'revoked');
        } else {
          // Instagram Login has no revoke endpoint: forgetting the token is all that can be done.
          assert.deepEqual(seen.filter((r) => r.platform === 'instagram'), []);
        }
      });

      test('after a revoke: a second DELETE, reauth-url and a live check answer 404; plain health answers 200 disconnected', async () => {
        const accountId = await connectAccount(ctx, tenant, projectId, platform, uniqueUser('gone'));
        assert.equal((await revoke(accountId)).statusCode, 200);
        expectError(await revoke(accountId), 404, 'NOT_FOUND');
        expectError(
          await ctx.call({ method: 'POST', url: `/v1/projects/${projectId}/social/reauth-url`, key: tenant.secret, body: { socialAccountId: accountId, returnUrl: RETURN_URL } }),
          404,
          'NOT_FOUND',
        );
        expectError(await ctx.call({ method: 'GET', url: `/v1/social-accounts/${accountId}/health?check=live`, key: tenant.secret }), 404, 'NOT_FOUND');

        const report = await health(ctx, tenant.secret, accountId);
        assert.equal(report.socialAccountId, accountId);
        assert.equal(report.status, 'disconnected');
        assert.equal(report.needsReauth, false);
        assert.equal(report.token.nextRefreshAt, null);

        // Refreshing it does nothing at the platform.
        await control(ctx, 'DELETE', '/requests');
        const outcome = await ctx.refresher.refresh(accountId, { force: true });
        assert.notEqual(outcome.result, 'refreshed');
        assert.deepEqual(await emulatorRequests(ctx), []);

        // A new connect of the same person gets a new id.
        const username = (await accountRow(ctx, accountId)).handle;
        const fresh = await connectAccount(ctx, tenant, projectId, platform, username);
        assert.notEqual(fresh, accountId);
        assert.equal((await accountRow(ctx, accountId)).status, 'disconnected');
      });

      test('DELETE accepts the bare UUID; 404 for an unknown id and for another organization’s account; 400 for a malformed id', async () => {
        const accountId = await connectAccount(ctx, tenant, projectId, platform, uniqueUser('bare'));
        const other = await ctx.tenant({ orgName: 'Other Org' });
        expectError(await revoke(accountId, other.secret), 404, 'NOT_FOUND');
        expectError(await ctx.call({ method: 'GET', url: `/v1/social-accounts/${accountId}/health`, key: other.secret }), 404, 'NOT_FOUND');
        assert.equal((await accountRow(ctx, accountId)).status, 'connected', 'the other organization changed nothing');
        expectError(await revoke(`sa_${randomUUID()}`), 404, 'NOT_FOUND');
        expectError(await revoke('sa_not-a-uuid'), 400, 'VALIDATION');
        const res = await revoke(accountId.slice('sa_'.length));
        assert.equal(res.statusCode, 200, res.body);
        assert.equal(res.json().socialAccountId, accountId);
      });

      test('a key without social:write gets 403 FORBIDDEN_SCOPE and the account stays connected', async () => {
        const accountId = await connectAccount(ctx, tenant, projectId, platform, uniqueUser('scoped'));
        const reader = await ctx.key(tenant.organizationId, { scopes: ['social:read'] });
        assert.deepEqual(expectError(await revoke(accountId, reader.secret), 403, 'FORBIDDEN_SCOPE'), { requiredScope: 'social:write' });
        assert.equal((await accountRow(ctx, accountId)).status, 'connected');
      });

      test('a leased account cannot be revoked: 409 CONFLICT, credential kept', async () => {
        const accountId = await connectAccount(ctx, tenant, projectId, platform, uniqueUser('leased'));
        await ctx.database.db.updateTable('social_accounts').set({ leased: 1 }).where('id', '=', accountId).execute();
        const before = await accountRow(ctx, accountId);
        const details = expectError(await revoke(accountId), 409, 'CONFLICT');
        assert.equal(typeof details['currentStatus'], 'string');
        const after = await accountRow(ctx, accountId);
        assert.deepEqual(after, before);
        assert.equal(await vaultEntryExists(after.vault_entry_id as string), true);
      });

      test('an upstream revoke failure does not undo the local revoke', async () => {
        const accountId = await connectAccount(ctx, tenant, projectId, platform, uniqueUser('upstream_down'));
        const entryId = (await accountRow(ctx, accountId)).vault_entry_id as string;
        if (platform === 'tiktok') await control(ctx, 'POST', '/faults', { platform, endpoint: 'revoke', status: 500 });
        const res = await revoke(accountId);
        assert.equal(res.statusCode, 200, res.body);
        assert.equal((await accountRow(ctx, accountId)).status, 'disconnected');
        assert.equal(await vaultEntryExists(entryId), false);
        await control(ctx, 'DELETE', '/faults');
      });

      test('two concurrent DELETEs: one 200, one 404', async () => {
        const accountId = await connectAccount(ctx, tenant, projectId, platform, uniqueUser('double'));
        const answers = await Promise.all([revoke(accountId), revoke(accountId)]);
        assert.deepEqual(answers.map((a) => a.statusCode).sort(), [200, 404]);
      });
    });
  }
}
