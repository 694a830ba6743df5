import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext } from '../support/test-app.ts';
import { insertAccount, newProject } from '../social/helpers.ts';

/**
 * The triggers of migration 0019 write many of an account's posts as one of its posts stops
 * publishing. On Postgres, where writers run side by side, they lock the account row first, as a
 * revoke does before it cancels the account's posts one by one: without that, the two deadlocked in
 * most rounds (32 of 40 in a first version of this test), and this test fails in its first rounds.
 */
for (const engine of engines) {
  describe(`a post that stops publishing while its account's other posts are canceled (${engine})`, () => {
    let ctx: TestContext;
    before(async () => {
      ctx = await createTestContext(engine);
    });
    after(() => ctx.close());

    test('both transactions commit, round after round', async () => {
      const tenant = await ctx.tenant();
      const projectId = await newProject(ctx, tenant.secret);
      const accountId = await insertAccount(ctx, { organizationId: tenant.organizationId, projectId, platform: 'tiktok' });
      const { db } = ctx.database;
      const now = ctx.clock.now().toISOString();
      for (let round = 0; round < 20; round++) {
        const ids = Array.from({ length: 30 }, (_, index) => `sp_${String(index).padStart(8, '0')}-${randomUUID().slice(9)}`);
        await db
          .insertInto('scheduled_posts')
          .values(
            ids.map((id) => ({
              id,
              organization_id: tenant.organizationId,
              project_id: projectId,
              container_id: `cnt_${randomUUID()}`,
              social_account_id: accountId,
              platform: 'tiktok' as const,
              mode: 'publish' as const,
              status: 'queued' as const,
              scheduled_for: now,
              caption: 'Queued',
              settings: '{}',
              attempts: 0,
              next_attempt_at: now,
              behind_publishing: 0,
              created_at: now,
              updated_at: now,
            })),
          )
          .execute();
        const [publishing, ...queued] = ids as [string, ...string[]];
        await db.updateTable('scheduled_posts').set({ status: 'publishing' }).where('id', '=', publishing).execute();

        const outcomes = await Promise.allSettled([
          db.transaction().execute(async (trx) => {
            await trx.updateTable('scheduled_posts').set({ status: 'published' }).where('id', '=', publishing).execute();
          }),
          db.transaction().execute(async (trx) => {
            await trx.updateTable('social_accounts').set({ updated_at: now }).where('id', '=', accountId).execute();
            for (const id of [...queued].reverse()) await trx.updateTable('scheduled_posts').set({ status: 'canceled' }).where('id', '=', id).execute();
          }),
        ]);
        assert.deepEqual(
          outcomes.map((outcome) => (outcome.status === 'rejected' ? String(outcome.reason) : 'committed')),
          ['committed', 'committed'],
          `round ${round}`,
        );
        const rows = await db.selectFrom('scheduled_posts').select(['status', 'behind_publishing']).where('id', 'in', ids).execute();
        assert.equal(rows.filter((row) => row.status === 'canceled').length, queued.length);
        await db.deleteFrom('scheduled_posts').where('id', 'in', ids).execute();
      }
    });
  });
}
