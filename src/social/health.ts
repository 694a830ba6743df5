import type { Principal } from '../api-keys/authenticate.ts';
import type { SocialAccountsTable } from '../db/schema.ts';
import { ApiError } from '../errors.ts';
import { PlatformError, type TokenSet } from '../platforms/platform.ts';
import { markReauthRequired, recordRefreshFailure } from './account-status.ts';
import { findAccount } from './accounts.ts';
import type { SocialDeps } from './deps.ts';
import type { AccountHealthView } from './schemas.ts';
import type { TokenRefresher } from './token-refresh.ts';

/**
 * Token health (API.md §5.6). With `live`, the credential is first verified with the platform
 * (refreshed first if due): a partner can test an account on demand, and a dead credential turns
 * the account `reauth_required` right here.
 */
export async function checkAccountHealth(
  deps: SocialDeps,
  refresher: TokenRefresher,
  principal: Principal,
  socialAccountId: string,
  options: { live: boolean },
): Promise<AccountHealthView> {
  let account = await findAccount(deps.db, principal.organizationId, socialAccountId, { live: options.live });
  if (options.live && account.status === 'connected') account = await verifyWithPlatform(deps, refresher, account);
  return toHealthView(deps, account);
}

async function verifyWithPlatform(deps: SocialDeps, refresher: TokenRefresher, account: SocialAccountsTable): Promise<SocialAccountsTable> {
  const due = await refresher.refresh(account.id);
  if (due.result === 'reauth_required') return due.account;
  const adapter = deps.platforms.adapter(account.platform, account.sandbox === 1);
  const profileCheck = async (): Promise<PlatformError | null> => {
    const tokens = await deps.vault.get<TokenSet>(deps.db, account.vault_entry_id as string);
    if (!tokens) return new PlatformError({ platform: account.platform, kind: 'needs_reauth', platformCode: 'no_credential', message: 'No stored credential.', reauthReason: 'credential_invalid' });
    try {
      await adapter.fetchProfile(tokens);
      return null;
    } catch (error) {
      if (error instanceof PlatformError) return error;
      throw error;
    }
  };

  let failure = await profileCheck();
  // A rejected access token may only be expired early: one forced refresh decides (TikTok).
  // Instagram has no refresh token, and a refresh never mends its code 190.
  if (failure?.kind === 'needs_reauth' && account.platform === 'tiktok' && due.result !== 'refreshed') {
    const forced = await refresher.refresh(account.id, { force: true });
    if (forced.result === 'reauth_required') return forced.account;
    // The refresh could not run (5xx, 429, timeout): nothing is decided, so nothing is flagged.
    // The refresher has recorded the failure and scheduled its retry.
    if (forced.result === 'failed') {
      const platformCode = forced.error instanceof PlatformError ? forced.error.platformCode : 'refresh_failed';
      throw new ApiError(502, 'PLATFORM_ERROR', `${account.platform} could not verify the credential right now: ${forced.error.message}`, {
        platform: account.platform,
        platformCode,
      });
    }
    failure = await profileCheck();
  }
  if (!failure) return reload(deps, account.id);
  if (failure.kind === 'needs_reauth') {
    await markReauthRequired(deps.db, deps.clock, account.id, {
      reason: failure.reauthReason ?? 'credential_invalid',
      errorCode: failure.platformCode,
      errorMessage: failure.message,
    });
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
