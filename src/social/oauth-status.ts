import type { Principal } from '../api-keys/authenticate.ts';
import type { Clock } from '../clock.ts';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { notFound } from '../errors.ts';
import type { OAuthErrorCode, OAuthStatusView } from './schemas.ts';

/**
 * oauth-status (docs/reference/social-accounts.md). Visible only to the key that minted the state: any other key,
 * even of the same organization, gets 404.
 */
export async function readOAuthStatus(db: Kysely<Database>, clock: Clock, principal: Principal, stateId: string): Promise<OAuthStatusView> {
  const state = await db
    .selectFrom('oauth_states')
    .selectAll()
    .where('id', '=', stateId)
    .where('api_key_id', '=', principal.apiKeyId)
    .executeTakeFirst();
  if (!state) throw notFound(`OAuth state ${stateId}`);
  const expired = state.status === 'pending' && state.expires_at <= clock.now().toISOString();
  return {
    state: state.id,
    kind: state.kind,
    platform: state.platform,
    projectId: state.project_id,
    // `processing` is internal (a callback is running); to the partner it is still pending.
    status: expired ? 'expired' : state.status === 'processing' ? 'pending' : state.status,
    expiresAt: state.expires_at,
    usageNote: state.usage_note,
    socialAccountId: state.social_account_id,
    completedAt: state.completed_at,
    error: state.status === 'failed' ? { code: (state.error_code ?? 'PLATFORM_ERROR') as OAuthErrorCode, message: state.error_message ?? '' } : null,
  };
}
