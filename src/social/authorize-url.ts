import type { Principal } from '../api-keys/authenticate.ts';
import { preparedInsert } from '../db/prepared-query.ts';
import type { OAuthStatesTable, SocialAccountsTable } from '../db/schema.ts';
import { insertsPerTurn, type RowInserts } from '../db/writes-per-turn.ts';
import { badRequest, conflict } from '../errors.ts';
import { REAUTH_ELIGIBLE } from '../platforms/registry.ts';
import { getProject } from '../projects/projects.ts';
import { newSecretUlid, secretRandomBytes } from '../secret-tokens.ts';
import { findAccount } from './accounts.ts';
import { callbackUrl, type SocialDeps } from './deps.ts';
import { assertReturnUrlAllowed } from './return-url.ts';
import type { z } from 'zod';
import type { oauthUrlBody, reauthUrlBody } from './schemas.ts';

/** A state lives ten minutes: long enough to consent, short enough that a leaked URL soon dies. */
const STATE_TTL_MS = 10 * 60 * 1000;

export interface AuthorizeUrl {
  authorizeUrl: string;
  state: string;
  expiresAt: string;
}

/** oauth-url (docs/reference/social-accounts.md): a consent URL that creates a new account when completed. */
export async function mintConnectUrl(
  deps: SocialDeps,
  principal: Principal,
  projectId: string,
  body: z.infer<typeof oauthUrlBody>,
): Promise<AuthorizeUrl> {
  return mintState(deps, principal, await connectRequest(deps, principal, projectId, body));
}

/**
 * reauth-url (docs/reference/social-accounts.md; the seed page of this project): a consent URL whose completion binds fresh tokens
 * back to the same socialAccountId. Allowed from `connected` too (to add scopes early).
 */
export async function mintReauthUrl(
  deps: SocialDeps,
  principal: Principal,
  projectId: string,
  body: z.infer<typeof reauthUrlBody>,
): Promise<AuthorizeUrl> {
  return mintState(deps, principal, await reauthRequest(deps, principal, projectId, body));
}

/**
 * Every check oauth-url makes, and the state it would mint. Reconnect links make the same checks
 * when they are created and again at each click (docs/reference/reconnect-links.md).
 */
export async function connectRequest(
  deps: SocialDeps,
  principal: Principal,
  projectId: string,
  body: z.infer<typeof oauthUrlBody>,
): Promise<StateRequest> {
  await assertProjectActive(deps, principal, projectId);
  assertReturnUrlAllowed(principal, body.returnUrl);
  const { adapter, sandbox } = deps.platforms.select(body.platform, principal.env === 'test');
  return {
    kind: 'connect',
    platform: body.platform,
    projectId,
    sandbox,
    socialAccountId: null,
    returnUrl: body.returnUrl,
    scopes: body.scopes ?? [...adapter.defaultScopes],
    usageNote: body.usageNote ?? null,
    reconnectLinkId: null,
  };
}

/** Every check reauth-url makes (404s, eligibility, allowlist, sandbox), and the state it would mint; as connectRequest. */
export async function reauthRequest(
  deps: SocialDeps,
  principal: Principal,
  projectId: string,
  body: z.infer<typeof reauthUrlBody>,
): Promise<StateRequest> {
  await assertProjectActive(deps, principal, projectId);
  const account = await findAccount(deps.db, principal.organizationId, body.socialAccountId, { live: true, projectId });
  if (!REAUTH_ELIGIBLE.includes(account.platform)) {
    throw badRequest(`Accounts on ${account.platform} cannot be reconnected through reauth-url; only ${REAUTH_ELIGIBLE.join(' and ')} can.`);
  }
  assertReturnUrlAllowed(principal, body.returnUrl);
  const sandbox = account.sandbox === 1;
  if (principal.env === 'test' && !sandbox) {
    throw badRequest('A sandbox (lp_test_) key cannot reconnect an account connected to the real platform; use a live key.');
  }
  const adapter = deps.platforms.adapter(account.platform, sandbox);
  return {
    kind: 'reauth',
    platform: account.platform,
    projectId,
    sandbox,
    socialAccountId: account.id,
    returnUrl: body.returnUrl,
    scopes: body.scopes ?? scopesForReauth(account, adapter.defaultScopes),
    usageNote: null,
    reconnectLinkId: null,
  };
}

/** What a minted state holds, once every check has passed. */
export interface StateRequest {
  kind: OAuthStatesTable['kind'];
  platform: SocialAccountsTable['platform'];
  projectId: string;
  sandbox: boolean;
  socialAccountId: string | null;
  returnUrl: string;
  scopes: string[];
  usageNote: string | null;
  /** The reconnect link whose click asks for this state, if any. */
  reconnectLinkId: string | null;
}

/** How a state's row is inserted, alone or with others (bench/state-inserts.ts measures the first). */
export const stateInserts: RowInserts<OAuthStatesTable> = {
  one: preparedInsert('oauth_states', [
    'id', 'api_key_id', 'organization_id', 'project_id', 'kind', 'platform', 'sandbox', 'social_account_id', 'return_url',
    'requested_scopes', 'usage_note', 'sealed_code_verifier', 'verifier_entry_id', 'status', 'error_code', 'error_message',
    'created_at', 'expires_at', 'completed_at', 'updated_at', 'reconnect_link_id',
  ]),
  many: (db, rows) => db.insertInto('oauth_states').values([...rows]).execute(),
};

/**
 * The states minted in one turn of the event loop are inserted together (src/db/writes-per-turn.ts);
 * each minting request answers once its own row is stored.
 */
const insertState = insertsPerTurn(stateInserts);

/** What a state's sealed PKCE verifier is bound to: it opens on this state's row and nowhere else. */
function codeVerifierIdentity(stateId: string): string {
  return `oauth_state\n${stateId}\ncode_verifier`;
}

/**
 * The state's PKCE verifier, or null once the state was used. A state minted before migration 0015
 * keeps it in a vault entry of its own, destroyed when the state is used or settled; no such state
 * outlives housekeeping's purge of states (docs/operations.md).
 */
export async function codeVerifierOf(deps: Pick<SocialDeps, 'db' | 'vault'>, state: OAuthStatesTable): Promise<string | null> {
  if (state.sealed_code_verifier !== null) return deps.vault.open(deps.db, codeVerifierIdentity(state.id), state.sealed_code_verifier);
  if (state.verifier_entry_id === null) return null;
  return (await deps.vault.get<{ codeVerifier: string }>(deps.db, state.verifier_entry_id))?.codeVerifier ?? null;
}

/**
 * Mints the state: one row, holding everything the callback needs, its PKCE verifier sealed by the
 * vault (docs/security.md).
 */
export async function mintState(deps: SocialDeps, principal: Principal, request: StateRequest): Promise<AuthorizeUrl> {
  const now = deps.clock.now();
  const state = newSecretUlid('st');
  const expiresAt = new Date(now.getTime() + STATE_TTL_MS).toISOString();
  const codeVerifier = secretRandomBytes(32).toString('base64url');
  const adapter = deps.platforms.adapter(request.platform, request.sandbox);
  const authorizeUrl = adapter.authorizeUrl({
    state,
    redirectUri: callbackUrl(deps.publicBaseUrl, request.platform),
    scopes: request.scopes,
    codeVerifier,
  });
  await insertState(deps.db, {
    id: state,
    api_key_id: principal.apiKeyId,
    organization_id: principal.organizationId,
    project_id: request.projectId,
    kind: request.kind,
    platform: request.platform,
    sandbox: request.sandbox ? 1 : 0,
    social_account_id: request.socialAccountId,
    return_url: request.returnUrl,
    requested_scopes: JSON.stringify(request.scopes),
    usage_note: request.usageNote,
    sealed_code_verifier: await deps.vault.seal(deps.db, codeVerifierIdentity(state), codeVerifier),
    verifier_entry_id: null,
    status: 'pending',
    error_code: null,
    error_message: null,
    created_at: now.toISOString(),
    expires_at: expiresAt,
    completed_at: null,
    updated_at: now.toISOString(),
    reconnect_link_id: request.reconnectLinkId,
  });
  return { authorizeUrl, state, expiresAt };
}

async function assertProjectActive(deps: SocialDeps, principal: Principal, projectId: string): Promise<void> {
  const project = await getProject(deps.db, principal.organizationId, projectId);
  if (project.status !== 'active') {
    throw conflict('The project is archived; restore it with PATCH status "active" before connecting accounts.', project.status);
  }
}

/** A reauth asks again for what the account had, plus the defaults, so nothing is lost by reconnecting. */
function scopesForReauth(account: SocialAccountsTable, defaults: readonly string[]): string[] {
  return [...new Set([...defaults, ...(JSON.parse(account.granted_scopes) as string[])])];
}
