import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { codeVerifierOf } from '../../src/social/authorize-url.ts';
import { newVaultEntryId } from '../../src/vault/vault.ts';
import { consent, followToCallback } from '../support/consent.ts';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import { mintConnect, newProject, oauthStatus, RETURN_URL, stateRow, uniqueUser } from './helpers.ts';

/**
 * A state's PKCE verifier is sealed by the vault on the state's own row (docs/security.md): encrypted,
 * bound to that row, and gone once the state is used. States minted before migration 0015 keep it in
 * a vault entry of their own and still complete.
 */
for (const engine of engines) {
  describe(`the PKCE verifier of a state (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;
    let projectId: string;

    before(async () => {
      ctx = await createTestContext(engine, { emulator: true });
      tenant = await ctx.tenant();
      projectId = await newProject(ctx, tenant.secret);
    });
    after(() => ctx.close());

    test('is stored encrypted on its state and opens there only', async () => {
      const first = await mintConnect(ctx, tenant.secret, projectId, 'tiktok');
      const second = await mintConnect(ctx, tenant.secret, projectId, 'tiktok');
      const row = await stateRow(ctx, first.state);
      const verifier = await codeVerifierOf(ctx.social, row);
      assert.ok(verifier && verifier.length >= 43);
      assert.ok(row.sealed_code_verifier && !row.sealed_code_verifier.includes(verifier), 'sealed, not stored in the clear');
      assert.equal(row.verifier_entry_id, null, 'no vault entry of its own');
      // The sealed text copied onto another state does not open there.
      const copied = { ...(await stateRow(ctx, second.state)), sealed_code_verifier: row.sealed_code_verifier };
      await assert.rejects(codeVerifierOf(ctx.social, copied));
    });

    test('states minted in the same moment each get their own row and verifier', async () => {
      const minted = await Promise.all(Array.from({ length: 12 }, () => mintConnect(ctx, tenant.secret, projectId, 'instagram')));
      const verifiers = new Set<string | null>();
      for (const { state } of minted) {
        assert.equal((await oauthStatus(ctx, tenant.secret, state)).status, 'pending');
        verifiers.add(await codeVerifierOf(ctx.social, await stateRow(ctx, state)));
      }
      assert.equal(verifiers.size, 12);
    });

    test('a state minted before migration 0015 (its verifier in a vault entry) still completes, and the entry is destroyed', async () => {
      const minted = await mintConnect(ctx, tenant.secret, projectId, 'tiktok');
      const codeVerifier = await codeVerifierOf(ctx.social, await stateRow(ctx, minted.state));
      const entryId = newVaultEntryId();
      await ctx.database.db.transaction().execute(async (trx) => {
        await ctx.vault.put(trx, entryId, { codeVerifier });
        await trx.updateTable('oauth_states').set({ sealed_code_verifier: null, verifier_entry_id: entryId }).where('id', '=', minted.state).execute();
      });

      // The emulator redeems the code only with the verifier whose challenge the consent carried.
      const callback = await followToCallback(ctx, await consent(minted.authorizeUrl, { username: uniqueUser('legacy_state') }));
      assert.equal(callback.headers.location, RETURN_URL);
      assert.equal((await oauthStatus(ctx, tenant.secret, minted.state)).status, 'completed');
      assert.equal(await ctx.vault.get(ctx.database.db, entryId), null);
      const row = await stateRow(ctx, minted.state);
      assert.deepEqual([row.sealed_code_verifier, row.verifier_entry_id], [null, null]);
    });

    test('is destroyed once its state completes', async () => {
      const minted = await mintConnect(ctx, tenant.secret, projectId, 'tiktok');
      const callback = await followToCallback(ctx, await consent(minted.authorizeUrl, { username: uniqueUser('verifier_used') }));
      assert.equal(callback.headers.location, RETURN_URL);
      assert.equal(await codeVerifierOf(ctx.social, await stateRow(ctx, minted.state)), null);
    });
  });
}
