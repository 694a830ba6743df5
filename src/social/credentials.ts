import type { SocialAccountsTable } from '../db/schema.ts';
import type { PlatformAdapter } from '../platforms/adapter.ts';
import { PlatformError } from '../platforms/errors.ts';
import type { TokenSet } from '../platforms/tokens.ts';
import type { SocialDeps } from './deps.ts';
import type { TokenRefresher } from './token-refresh.ts';

/** An access token this close to expiry is refreshed before use, whatever the refresh schedule says. */
const EXPIRY_MARGIN_MS = 5 * 60 * 1000;

/** An account's decrypted tokens, fresh enough to call its platform with. */
export interface UsableCredentials {
  account: SocialAccountsTable;
  adapter: PlatformAdapter;
  tokens: TokenSet;
  /** True when these tokens come from a refresh made by this call. */
  refreshed: boolean;
}

/**
 * Why no usable credential could be had: the account needs its person back (`reauth_required`,
 * `disconnected`), or a refresh that was needed failed for now (`refresh_failed`: transient, try later).
 */
export class CredentialsUnavailableError extends Error {
  readonly reason: 'reauth_required' | 'disconnected' | 'refresh_failed';
  readonly account: SocialAccountsTable;
  readonly platformError: PlatformError | null;

  constructor(reason: CredentialsUnavailableError['reason'], account: SocialAccountsTable, message: string, platformError: PlatformError | null = null) {
    super(message);
    this.name = 'CredentialsUnavailableError';
    this.reason = reason;
    this.account = account;
    this.platformError = platformError;
  }
}

export interface Credentials {
  /**
   * The account's tokens, refreshed first when due (or `forceRefresh`) under the per-account
   * refresh lease, with rotated tokens persisted before they are returned. Health checks, the
   * background refresher and the publisher all go through here.
   */
  getUsableCredentials(accountId: string, options?: { forceRefresh?: boolean }): Promise<UsableCredentials>;
}

export function createCredentials(deps: SocialDeps, refresher: TokenRefresher): Credentials {
  async function read(accountId: string): Promise<SocialAccountsTable> {
    return deps.db.selectFrom('social_accounts').selectAll().where('id', '=', accountId).executeTakeFirstOrThrow();
  }

  function assertConnected(account: SocialAccountsTable): void {
    if (account.status === 'disconnected') throw new CredentialsUnavailableError('disconnected', account, 'The account is disconnected.');
    if (account.status === 'reauth_required') {
      throw new CredentialsUnavailableError('reauth_required', account, account.last_error_message ?? 'The account needs to be reconnected.');
    }
  }

  return {
    async getUsableCredentials(accountId, options = {}) {
      let account = await read(accountId);
      assertConnected(account);
      const now = deps.clock.now();
      const expiring = account.access_token_expires_at !== null && Date.parse(account.access_token_expires_at) - now.getTime() < EXPIRY_MARGIN_MS;
      const scheduled = account.next_refresh_at !== null && account.next_refresh_at <= now.toISOString();
      let refreshed = false;
      if (options.forceRefresh || expiring || scheduled) {
        const outcome = await refresher.refresh(accountId, { force: options.forceRefresh === true || expiring });
        account = outcome.account;
        assertConnected(account);
        refreshed = outcome.result === 'refreshed' || outcome.result === 'refreshed_elsewhere';
        const stillValid = account.access_token_expires_at !== null && account.access_token_expires_at > deps.clock.now().toISOString();
        if (outcome.result === 'failed' && (options.forceRefresh || !stillValid)) {
          const platformError = outcome.error instanceof PlatformError ? outcome.error : null;
          throw new CredentialsUnavailableError('refresh_failed', account, outcome.error.message, platformError);
        }
      }
      const tokens = account.vault_entry_id ? await deps.vault.get<TokenSet>(deps.db, account.vault_entry_id) : null;
      if (!tokens) throw new CredentialsUnavailableError('disconnected', account, 'The account has no stored credential.');
      return { account, adapter: deps.platforms.adapter(account.platform, account.sandbox === 1), tokens, refreshed };
    },
  };
}
