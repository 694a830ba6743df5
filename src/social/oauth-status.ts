import type { Principal } from '../api-keys/authenticate.ts';
import type { Clock } from '../clock.ts';
import type { Kysely } from 'kysely';
import { readsById } from '../db/reads-by-id.ts';
import type { Database } from '../db/schema.ts';
import { notFound } from '../errors.ts';
import type { OAuthStatusView } from './schemas.ts';
import { settledStatus } from './state-settlement.ts';

const statesById = readsById((db, ids) => db.selectFrom('oauth_states').selectAll().where('id', 'in', ids));

/**
 * oauth-status (docs/reference/social-accounts.md). Visible only to the key that minted the state: any other key,
 * even of the same organization, gets 404.
 */
export async function readOAuthStatus(db: Kysely<Database>, clock: Clock, principal: Principal, stateId: string): Promise<OAuthStatusView> {
  const state = await statesById.one(db, stateId);
  if (!state || state.api_key_id !== principal.apiKeyId) throw notFound(`OAuth state ${stateId}`);
  const { status, error } = settledStatus(state, clock.now());
  return {
    state: state.id,
    kind: state.kind,
    platform: state.platform,
    projectId: state.project_id,
    status,
    expiresAt: state.expires_at,
    usageNote: state.usage_note,
    socialAccountId: state.social_account_id,
    completedAt: state.completed_at,
    error,
  };
}
