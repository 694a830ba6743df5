import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely, Transaction } from 'kysely';
import { keyKillSwitch } from '../api-keys/authenticate.ts';
import type { Database, OAuthStatesTable, SocialAccountsTable } from '../db/schema.ts';
import { newId } from '../ids.ts';
import { copyImage } from '../media/media-store.ts';
import { registerForMetrics } from '../metrics/registration.ts';
import type { EligibleProfile, PlatformAdapter, PlatformProfile } from '../platforms/adapter.ts';
import { PlatformError } from '../platforms/errors.ts';
import { isPlatformId } from '../platforms/registry.ts';
import type { TokenSet } from '../platforms/tokens.ts';
import { releaseHolds } from '../posts/holds.ts';
import { newVaultEntryId } from '../vault/vault.ts';
import { emitAccountEvent } from './account-events.ts';
import { codeVerifierOf } from './authorize-url.ts';
import { callbackUrl, type SocialDeps } from './deps.ts';
import { markLinkUsed } from './reconnect-links.ts';
import { returnUrlWithError } from './return-url.ts';
import type { OAuthErrorCode } from './schemas.ts';
import { ABANDONED_PROCESSING_MS, NO_VERIFIER, settleAbandonedState } from './state-settlement.ts';

/** What the browser gets: a redirect to the partner's returnUrl, or (no usable state) an error page. */
export type CallbackOutcome =
  | { type: 'redirect'; location: string }
  | { type: 'error_page'; status: number; message: string };

/** What the platform's redirect carries: `code` and `state`, or an `error`; some also list the granted scopes (the module says which parameter). */
export type CallbackQuery = Readonly<Record<string, string | undefined>> & {
  code?: string;
  state?: string;
  error?: string;
};

const STATE_FORMAT = /^st_[0-9A-HJKMNP-TV-Z]{26}$/;
/** An OAuth `error` value worth quoting back; anything else is not an error code (docs/security.md). */
const ERROR_PARAMETER = /^[A-Za-z0-9_.-]{1,64}$/;
/** A concurrent callback for the same state waits this long for the first one to finish. */
const WAIT_FOR_OTHER_CALLBACK_MS = 30_000;

class OAuthFailure extends Error {
  readonly code: OAuthErrorCode;
  constructor(code: OAuthErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * The platform redirected the person's browser here (docs/reference/social-accounts.md, "The callback"). The state is claimed exactly
 * once (concurrent and repeated callbacks then just follow its outcome); the code is exchanged
 * with the PKCE verifier; the granted scopes are checked, then the profile (eligibility, and for a
 * reauth the same platform user); then tokens, account and state are written in one transaction, and the browser
 * goes back to returnUrl with no added parameters. The `social_account.connected` event is written
 * in that same transaction (operation `creation` or `reconnect`), and so is the release of the
 * account's held posts, and, for a state minted by a reconnect link's click, the link's use. Any failure marks the state failed and adds
 * `layers_oauth_error=<CODE>` instead; the account of a failed reauth is left exactly as it was.
 */
export async function completeOAuthCallback(deps: SocialDeps, platform: string, query: CallbackQuery): Promise<CallbackOutcome> {
  const stateId = query.state ?? '';
  if (!isPlatformId(platform) || !STATE_FORMAT.test(stateId)) {
    return { type: 'error_page', status: 400, message: 'This sign-in link is not valid. Start again from the app that sent you.' };
  }
  const claim = await claimState(deps, platform, stateId);
  if (claim.type !== 'claimed') return claim;
  const state = claim.state;
  try {
    await bindAccount(deps, state, query);
    return { type: 'redirect', location: state.return_url };
  } catch (error) {
    const failure =
      error instanceof OAuthFailure
        ? error
        : new OAuthFailure('PLATFORM_ERROR', error instanceof PlatformError ? error.message : 'The connection could not be completed.');
    await failState(deps, state, failure);
    return { type: 'redirect', location: returnUrlWithError(state.return_url, failure.code) };
  }
}

/** Takes the state from `pending` to `processing` for this callback alone, or reports how it ended. */
async function claimState(
  deps: SocialDeps,
  platform: string,
  stateId: string,
): Promise<CallbackOutcome | { type: 'claimed'; state: OAuthStatesTable }> {
  const deadline = Date.now() + WAIT_FOR_OTHER_CALLBACK_MS;
  while (Date.now() < deadline) {
    const state = await deps.db.selectFrom('oauth_states').selectAll().where('id', '=', stateId).executeTakeFirst();
    if (!state || state.platform !== platform) {
      return { type: 'error_page', status: 400, message: 'This sign-in link is unknown or has been tampered with. Start again from the app that sent you.' };
    }
    const now = deps.clock.now();
    if (state.status === 'completed') return { type: 'redirect', location: state.return_url };
    if (state.status === 'failed') return { type: 'redirect', location: returnUrlWithError(state.return_url, state.error_code ?? 'PLATFORM_ERROR') };
    if (state.status === 'processing') {
      if (now.getTime() - Date.parse(state.updated_at) > ABANDONED_PROCESSING_MS) {
        await settleAbandonedState(deps.db, state, now);
      } else {
        await sleep(50);
      }
      continue;
    }
    if (state.expires_at <= now.toISOString()) {
      await failState(deps, state, new OAuthFailure('STATE_EXPIRED', 'The consent link expired before it was completed.'));
      continue;
    }
    const claimed = await deps.db
      .updateTable('oauth_states')
      .set({ status: 'processing', updated_at: now.toISOString() })
      .where('id', '=', stateId)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) === 1) return { type: 'claimed', state: { ...state, status: 'processing' } };
  }
  return { type: 'error_page', status: 409, message: 'This sign-in is still being completed. Reload the page in a moment.' };
}

/** Exchanges the code, checks the profile and binds the tokens; returns the account id. */
async function bindAccount(deps: SocialDeps, state: OAuthStatesTable, query: CallbackQuery): Promise<string> {
  if (query.error) {
    throw query.error === 'access_denied'
      ? new OAuthFailure('USER_DENIED', 'The person declined to authorize the app.')
      : new OAuthFailure('PLATFORM_ERROR', ERROR_PARAMETER.test(query.error) ? `The platform reported "${query.error}".` : 'The platform reported an error.');
  }
  if (!query.code) throw new OAuthFailure('PLATFORM_ERROR', 'The platform sent neither a code nor an error.');
  await assertStillAllowed(deps, state);

  const adapter = deps.platforms.adapter(state.platform, state.sandbox === 1);
  const codeVerifier = await codeVerifierOf(deps, state);
  if (codeVerifier === null) throw new OAuthFailure('STATE_EXPIRED', 'The consent link was already used.');
  const tokens = await adapter.exchangeCode({
    code: query.code,
    redirectUri: callbackUrl(deps.publicBaseUrl, state.platform),
    codeVerifier,
    callbackScopes: adapter.callbackScopes(query),
  });
  // Before the profile: a grant without the scope that reads it fails there with a platform error.
  checkGrantedScopes(adapter, state, tokens);
  const profile = await adapter.fetchProfile(tokens);
  const bound = state.social_account_id
    ? await deps.db.selectFrom('social_accounts').selectAll().where('id', '=', state.social_account_id).executeTakeFirst()
    : null;
  checkConsent(state, profile, bound);

  const avatarMediaId = profile.avatarUrl ? await copyImage(deps, profile.avatarUrl) : null;
  return deps.db.transaction().execute(async (trx) => {
    // Binds into one project take turns (a no-op update holds the project row's lock until commit):
    // two consents of the same person completing at once must not both find no account and create two.
    await trx.updateTable('projects').set((eb) => ({ updated_at: eb.ref('updated_at') })).where('id', '=', state.project_id).execute();
    const existing = bound ?? (await findSameAccount(trx, state, profile));
    const reconnected = existing ? await reconnectAccount(deps, trx, existing, adapter, tokens, profile, avatarMediaId) : null;
    if (state.kind === 'reauth' && !reconnected) {
      throw new OAuthFailure('STATE_EXPIRED', 'The account was disconnected while this reauth was pending; connect it again with oauth-url.');
    }
    const accountId = reconnected ?? (await createAccount(deps, trx, state, adapter, tokens, profile, avatarMediaId));
    await registerForMetrics(trx, deps.clock, { id: accountId, platform: state.platform });
    // The account is back: its posts held while it needed reauth publish at once, in scheduledFor order.
    if (reconnected) await releaseHolds(trx, deps.clock, reconnected);
    await emitAccountEvent(trx, deps.clock, 'social_account.connected', accountId, {
      operation: reconnected ? 'reconnect' : 'creation',
      oauthState: state.id,
    });
    if (state.reconnect_link_id && !(await markLinkUsed(trx, deps.clock, state.reconnect_link_id, accountId))) {
      throw new OAuthFailure('STATE_EXPIRED', 'The reconnect link this consent came from was revoked or has already been used.');
    }
    await trx
      .updateTable('oauth_states')
      .set({ status: 'completed', social_account_id: accountId, completed_at: deps.clock.now().toISOString(), updated_at: deps.clock.now().toISOString(), ...NO_VERIFIER })
      .where('id', '=', state.id)
      .execute();
    if (state.verifier_entry_id) await deps.vault.destroy(trx, state.verifier_entry_id);
    return accountId;
  });
}

/**
 * A flow started before its key was killed or retired, its organization suspended, the whole API
 * switched off or its project archived binds nothing: the stop takes effect on pending consents too.
 */
async function assertStillAllowed(deps: SocialDeps, state: OAuthStatesTable): Promise<void> {
  const stopped = await keyKillSwitch(deps.db, state.api_key_id);
  if (stopped) throw new OAuthFailure('STATE_EXPIRED', `This consent link is no longer valid: ${stopped.message}`);
  const project = await deps.db.selectFrom('projects').select('status').where('id', '=', state.project_id).executeTakeFirst();
  if (project?.status !== 'active') throw new OAuthFailure('STATE_EXPIRED', 'This consent link is no longer valid: the project is archived.');
}

/**
 * The person's consent must grant what was asked of the scopes publishing needs. A rejected grant
 * is dropped, not revoked upstream: on some platforms revoking one token ends the user's whole
 * authorization of the app, which may still back another account.
 */
function checkGrantedScopes(adapter: PlatformAdapter, state: OAuthStatesTable, tokens: TokenSet): void {
  const requested = JSON.parse(state.requested_scopes) as string[];
  const missing = adapter.requiredScopes.filter((s) => requested.includes(s) && !tokens.grantedScopes.includes(s));
  if (missing.length > 0) throw new OAuthFailure('SCOPES_NOT_GRANTED', `Publishing needs these permissions, which were not granted: ${missing.join(', ')}.`);
}

/** …and must come from an eligible account (the module says why not), the same user for a reauth. Dropped like above. */
function checkConsent(state: OAuthStatesTable, profile: PlatformProfile, bound: SocialAccountsTable | null | undefined): asserts profile is EligibleProfile {
  if (state.kind === 'reauth' && (!bound || bound.status === 'disconnected')) {
    throw new OAuthFailure('STATE_EXPIRED', 'The account was disconnected while this reauth was pending; connect it again with oauth-url.');
  }
  if (!profile.eligible) throw new OAuthFailure('ACCOUNT_NOT_ELIGIBLE', profile.reason);
  if (state.kind === 'reauth' && bound && bound.platform_user_id !== profile.platformUserId) {
    throw new OAuthFailure('ACCOUNT_MISMATCH', `The person signed in as @${profile.handle}, not as the account being reconnected.`);
  }
}

/** A connect for a platform user this project already has (not disconnected) reconnects that account instead of duplicating it. */
function findSameAccount(db: Kysely<Database>, state: OAuthStatesTable, profile: EligibleProfile) {
  return db
    .selectFrom('social_accounts')
    .selectAll()
    .where('project_id', '=', state.project_id)
    .where('platform', '=', state.platform)
    .where('platform_user_id', '=', profile.platformUserId)
    .where('sandbox', '=', state.sandbox)
    .where('status', '!=', 'disconnected')
    .executeTakeFirst();
}

async function createAccount(
  deps: SocialDeps,
  trx: Transaction<Database>,
  state: OAuthStatesTable,
  adapter: PlatformAdapter,
  tokens: TokenSet,
  profile: EligibleProfile,
  avatarMediaId: string | null,
): Promise<string> {
  const now = deps.clock.now().toISOString();
  const vaultEntryId = newVaultEntryId();
  await deps.vault.put(trx, vaultEntryId, tokens);
  const id = newId('sa');
  await trx
    .insertInto('social_accounts')
    .values({
      id,
      organization_id: state.organization_id,
      project_id: state.project_id,
      platform: state.platform,
      sandbox: state.sandbox,
      platform_user_id: profile.platformUserId,
      avatar_media_id: avatarMediaId,
      leased: 0,
      connected_at: now,
      last_refreshed_at: null,
      disconnected_at: null,
      disconnected_reason: null,
      created_at: now,
      updated_at: now,
      ...grantColumns(adapter, tokens, profile, vaultEntryId),
    })
    .execute();
  return id;
}

/**
 * Reauth (or a connect of an already-bound user): replaces exactly the credential fields it
 * received and clears the reauth flag, keeping id, connectedAt, posts and history (docs/behaviour.md, "Reconnecting keeps everything").
 * Clearing the refresh lease makes any refresh still running on the old grant discard its result.
 * Returns null, binding nothing, when the account was revoked since it was read: disconnected is final.
 * The account row is written before the vault entry, in the order a refresh takes them.
 */
async function reconnectAccount(
  deps: SocialDeps,
  trx: Transaction<Database>,
  account: SocialAccountsTable,
  adapter: PlatformAdapter,
  tokens: TokenSet,
  profile: EligibleProfile,
  avatarMediaId: string | null,
): Promise<string | null> {
  const vaultEntryId = account.vault_entry_id ?? newVaultEntryId();
  const updated = await trx
    .updateTable('social_accounts')
    .set({
      ...grantColumns(adapter, tokens, profile, vaultEntryId),
      avatar_media_id: avatarMediaId ?? account.avatar_media_id,
      updated_at: deps.clock.now().toISOString(),
    })
    .where('id', '=', account.id)
    .where('status', '!=', 'disconnected')
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) !== 1) return null;
  await deps.vault.put(trx, vaultEntryId, tokens);
  return account.id;
}

/**
 * What a fresh grant sets, on a new account and on a reconnected one alike: the credential and
 * profile fields it brought, with every trace of the old failure cleared. Nothing else is touched.
 */
function grantColumns(adapter: PlatformAdapter, tokens: TokenSet, profile: EligibleProfile, vaultEntryId: string) {
  return {
    status: 'connected' as const,
    handle: profile.handle,
    display_name: profile.displayName,
    granted_scopes: JSON.stringify(tokens.grantedScopes),
    vault_entry_id: vaultEntryId,
    access_token_expires_at: tokens.accessTokenExpiresAt,
    refresh_token_expires_at: tokens.refreshTokenExpiresAt,
    next_refresh_at: adapter.nextRefreshAt(tokens),
    consecutive_failures: 0,
    last_error_code: null,
    last_error_message: null,
    last_error_at: null,
    reauth_required_at: null,
    reauth_reason: null,
    // Any refresh still running on the old grant sees its lease gone and discards its result.
    refresh_lease_until: null,
  };
}

async function failState(deps: SocialDeps, state: OAuthStatesTable, failure: OAuthFailure): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    await trx
      .updateTable('oauth_states')
      .set({ status: 'failed', error_code: failure.code, error_message: failure.message, ...NO_VERIFIER, updated_at: deps.clock.now().toISOString() })
      .where('id', '=', state.id)
      .where('status', 'in', ['pending', 'processing'])
      .execute();
    if (state.verifier_entry_id) await deps.vault.destroy(trx, state.verifier_entry_id);
  });
}
