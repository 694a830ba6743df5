import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { purgeExpired } from '../../src/housekeeping.ts';
import { consent, followToCallback } from '../support/consent.ts';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import { expectErrorRedirect, mintConnect, newProject, oauthStatus, RETURN_URL, stateRow } from '../social/helpers.ts';

/**
 * Finding 10: a state left in `processing` by a crash mid-callback read `pending` forever, even
 * after its expiry. oauth-status reports it as the next callback or housekeeping will settle it,
 * and housekeeping settles it (destroying its PKCE verifier).
 */
const MINUTE = 60_000;

for (const engine of engines) {
  describe(`a state a crashed callback left behind reads and settles as it truly is (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;
    let projectId: string;

    /** What a process killed between claiming the state and binding leaves: `processing`, verifier still held. */
    const crashMidCallback = async (state: string) => {
      await ctx.database.db.updateTable('oauth_states').set({ status: 'processing', updated_at: ctx.clock.now().toISOString() }).where('id', '=', state).execute();
      assert.ok(await heldVerifier(state));
    };
    /** The state's sealed PKCE verifier, null once destroyed. */
    const heldVerifier = async (state: string) => (await stateRow(ctx, state)).sealed_code_verifier;

    before(async () => {
      ctx = await createTestContext(engine, { emulator: true });
      tenant = await ctx.tenant();
      projectId = await newProject(ctx, tenant.secret);
    });
    after(() => ctx.close());

    test('within its expiry: pending while a callback could still be running, then failed (interrupted); housekeeping fails it and destroys the verifier', async () => {
      const minted = await mintConnect(ctx, tenant.secret, projectId, 'instagram');
      await crashMidCallback(minted.state);
      assert.equal((await oauthStatus(ctx, tenant.secret, minted.state)).status, 'pending');

      ctx.clock.advance(MINUTE + 1);
      const read = await oauthStatus(ctx, tenant.secret, minted.state);
      assert.equal(read.status, 'failed');
      assert.deepEqual(read.error, { code: 'PLATFORM_ERROR', message: 'The connection was interrupted; start again.' });

      const purged = await purgeExpired(ctx.database, ctx.clock);
      assert.equal(purged.abandonedStates, 1);
      assert.deepEqual(await oauthStatus(ctx, tenant.secret, minted.state), read, 'settled exactly as it read');
      assert.equal(await heldVerifier(minted.state), null, 'the verifier is destroyed');
      const row = await stateRow(ctx, minted.state);
      assert.deepEqual([row.status, row.sealed_code_verifier, row.verifier_entry_id], ['failed', null, null]);

      // The person's browser coming back later gets the same answer.
      const late = await followToCallback(ctx, await consent(minted.authorizeUrl, { username: 'late_arrival' }));
      expectErrorRedirect(late, RETURN_URL, 'PLATFORM_ERROR');
    });

    test('past its expiry: expired, before and after housekeeping; a late callback gets STATE_EXPIRED', async () => {
      const minted = await mintConnect(ctx, tenant.secret, projectId, 'tiktok');
      const redirect = await consent(minted.authorizeUrl, { username: 'too_late' });
      await crashMidCallback(minted.state);
      ctx.clock.advance(11 * MINUTE);
      const read = await oauthStatus(ctx, tenant.secret, minted.state);
      assert.equal(read.status, 'expired');
      assert.equal(read.error, null);

      assert.equal((await purgeExpired(ctx.database, ctx.clock)).abandonedStates, 1);
      assert.deepEqual(await oauthStatus(ctx, tenant.secret, minted.state), read);
      assert.equal(await heldVerifier(minted.state), null);
      expectErrorRedirect(await followToCallback(ctx, redirect), RETURN_URL, 'STATE_EXPIRED');
      assert.equal((await purgeExpired(ctx.database, ctx.clock)).abandonedStates, 0, 'settling is done once');
    });

    test('a late callback settles it the same way before housekeeping does: STATE_EXPIRED past expiry, interrupted within it', async () => {
      const expired = await mintConnect(ctx, tenant.secret, projectId, 'tiktok');
      const expiredRedirect = await consent(expired.authorizeUrl, { username: 'late_expired' });
      await crashMidCallback(expired.state);
      ctx.clock.advance(11 * MINUTE);
      expectErrorRedirect(await followToCallback(ctx, expiredRedirect), RETURN_URL, 'STATE_EXPIRED');
      assert.equal(await heldVerifier(expired.state), null);

      const interrupted = await mintConnect(ctx, tenant.secret, projectId, 'instagram');
      const interruptedRedirect = await consent(interrupted.authorizeUrl, { username: 'late_interrupted' });
      await crashMidCallback(interrupted.state);
      ctx.clock.advance(MINUTE + 1);
      expectErrorRedirect(await followToCallback(ctx, interruptedRedirect), RETURN_URL, 'PLATFORM_ERROR');
      assert.equal((await oauthStatus(ctx, tenant.secret, interrupted.state)).error.message, 'The connection was interrupted; start again.');
    });

    test('a callback still running (within a minute) is left alone by housekeeping', async () => {
      const minted = await mintConnect(ctx, tenant.secret, projectId, 'tiktok');
      await crashMidCallback(minted.state);
      ctx.clock.advance(30_000);
      assert.equal((await purgeExpired(ctx.database, ctx.clock)).abandonedStates, 0);
      assert.ok(await heldVerifier(minted.state));
      assert.equal((await oauthStatus(ctx, tenant.secret, minted.state)).status, 'pending');
    });
  });
}
