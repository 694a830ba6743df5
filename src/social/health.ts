import type { Principal } from '../api-keys/authenticate.ts';
import type { SocialAccountsTable } from '../db/schema.ts';
import { ApiError } from '../errors.ts';
import { PlatformError } from '../platforms/errors.ts';
import { markReauthRequired, recordRefreshFailure } from './account-status.ts';
import { findAccount } from './accounts.ts';
import { CredentialsUnavailableError, type Credentials, type UsableCredentials } from './credentials.ts';
import type { SocialDeps } from './deps.ts';
import type { AccountHealthView } from './schemas.ts';

/**
 * Token health (docs/reference/social-accounts.md). With `live`, the credential is first verified
 * with the platform (refreshed first if due): a partner can test an account on demand, and a dead
 * credential turns the account `reauth_required` right here.
 */
export async function checkAccountHealth(
  deps: SocialDeps & { credentials: Credentials },
  principal: Principal,
  socialAccountId: string,
  options: { live: boolean },
): Promise<AccountHealthView> {
  let account = await findAccount(deps.db, principal.organizationId, socialAccountId, { live: options.live });
  if (options.live && account.status === 'connected') account = await verifyWithPlatform(deps, account);
  return toHealthView(deps, account);
}

/** The refresh could not run (5xx, 429, timeout): nothing is decided, so nothing is flagged; the refresher retries later. */
function cannotVerifyNow(account: SocialAccountsTable, error: CredentialsUnavailableError): ApiError {
  return new ApiError(502, 'PLATFORM_ERROR', `${account.platform} could not verify the credential right now: ${error.message}`, {
    platform: account.platform,
    platformCode: error.platformError?.platformCode ?? 'refresh_failed',
  });
}

async function verifyWithPlatform(deps: SocialDeps & { credentials: Credentials }, account: SocialAccountsTable): Promise<SocialAccountsTable> {
  const usable = async (forceRefresh: boolean): Promise<UsableCredentials | SocialAccountsTable> => {
    try {
      return await deps.credentials.getUsableCredentials(account.id, { forceRefresh });
    } catch (error) {
      if (!(error instanceof CredentialsUnavailableError)) throw error;
      if (error.reason === 'refresh_failed') throw cannotVerifyNow(account, error);
      return error.account;
    }
  };
  const profileCheck = async ({ adapter, tokens }: UsableCredentials): Promise<PlatformError | null> => {
    try {
      await adapter.fetchProfile(tokens);
      return null;
    } catch (error) {
      if (error instanceof PlatformError) return error;
      throw error;
    }
  };

  let credentials = await usable(false);
  if (!('tokens' in credentials)) return credentials;
  let failure = await profileCheck(credentials);
  // A rejected access token may only be expired early where the platform's refresh can mend it:
  // one forced refresh decides. Where the module says a refresh cannot mend it, none is tried.
  if (failure?.kind === 'needs_reauth' && credentials.adapter.module.oauth.refreshMendsRejectedAccessToken && !credentials.refreshed) {
    credentials = await usable(true);
    if (!('tokens' in credentials)) return credentials;
    failure = await profileCheck(credentials);
  }
  if (!failure) return reload(deps, account.id);
  if (failure.kind === 'needs_reauth') {
    const reauth = failure;
    await deps.db.transaction().execute((trx) =>
      markReauthRequired(trx, deps.clock, account.id, {
        reason: reauth.reauthReason ?? 'credential_invalid',
        errorCode: reauth.platformCode,
        errorMessage: reauth.message,
      }),
    );
    return reload(deps, account.id);
  }
  await recordRefreshFailure(deps.db, deps.clock, account.id, { errorCode: failure.platformCode, errorMessage: failure.message, retryAt: null });
  throw new ApiError(502, 'PLATFORM_ERROR', `${account.platform} could not verify the credential right now: ${failure.message}`, {
    platform: account.platform,
    platformCode: failure.platformCode,
  });
}

function reload(deps: SocialDeps, id: string): Promise<SocialAccountsTable> {
  return deps.db.selectFrom('social_accounts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

function toHealthView(deps: SocialDeps, account: SocialAccountsTable): AccountHealthView {
  const granted = JSON.parse(account.granted_scopes) as string[];
  const adapter = deps.platforms.adapter(account.platform, account.sandbox === 1);
  return {
    socialAccountId: account.id,
    status: account.status,
    platform: account.platform,
    needsReauth: account.status === 'reauth_required',
    reauthReason: account.reauth_reason,
    token: {
      accessTokenExpiresAt: account.access_token_expires_at,
      refreshTokenExpiresAt: account.refresh_token_expires_at,
      lastRefreshedAt: account.last_refreshed_at,
      nextRefreshAt: account.next_refresh_at,
      consecutiveFailures: account.consecutive_failures,
      lastError:
        account.last_error_code && account.last_error_at
          ? { code: account.last_error_code, message: account.last_error_message ?? '', at: account.last_error_at }
          : null,
    },
    scopes: { granted, missing: adapter.requiredScopes.filter((s) => !granted.includes(s)) },
    checkedAt: deps.clock.now().toISOString(),
  };
}
