import type { Kysely } from 'kysely';

/**
 * A state's PKCE verifier sealed by the vault on the state's own row, instead of in a vault entry
 * of its own: minting a consent URL writes one row, in one statement, where it wrote two in a
 * transaction (docs/performance.md, "Eighth round"). States minted before keep their vault entry
 * until they are used or purged (src/social/authorize-url.ts, `codeVerifierOf`).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('oauth_states').addColumn('sealed_code_verifier', 'text').execute();
}
