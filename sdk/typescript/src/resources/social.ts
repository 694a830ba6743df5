import { LayersError } from '../errors.ts';
import type { HttpClient, RequestOptions } from '../http.ts';
import type { OAuthStatus, Params, Result, SocialAccount } from '../operations.ts';
import { PageRequest } from '../pagination.ts';

const TERMINAL = new Set(['completed', 'failed', 'expired']);

export interface WaitForOAuthOptions {
  /** Give up after this long (a state lives 10 minutes). Default 600 000. */
  timeoutMs?: number;
  /** Between polls. Default 2 000. */
  intervalMs?: number;
}

/** Connecting, reconnecting (reauth), watching and revoking social accounts. */
export class Social {
  /** `for await (const account of layers.social.accounts.list({ projectId }))`: every page. */
  readonly accounts: { list: (params: Params<'listSocialAccounts'>, options?: RequestOptions) => PageRequest<SocialAccount> };
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
    this.accounts = { list: (params, options) => this.listAccounts(params, options) };
  }

  /** A consent URL that connects a new account (a new socialAccountId). Not replayed on Idempotency-Key. */
  createOAuthUrl({ projectId, ...body }: Params<'createOAuthUrl'>, options?: RequestOptions): Promise<Result<'createOAuthUrl'>> {
    const path = `/v1/projects/${encodeURIComponent(projectId)}/social/oauth-url`;
    return this.#http.request({ method: 'POST', path, body, replaysIdempotencyKey: false }, options);
  }

  /** A consent URL that reconnects an existing account: on completion the same socialAccountId is `connected`. */
  createReauthUrl({ projectId, ...body }: Params<'createReauthUrl'>, options?: RequestOptions): Promise<Result<'createReauthUrl'>> {
    const path = `/v1/projects/${encodeURIComponent(projectId)}/social/reauth-url`;
    return this.#http.request({ method: 'POST', path, body, replaysIdempotencyKey: false }, options);
  }

  getOAuthStatus({ state }: Params<'getOAuthStatus'>, options?: RequestOptions): Promise<Result<'getOAuthStatus'>> {
    return this.#http.request({ method: 'GET', path: `/v1/social/oauth-status/${encodeURIComponent(state)}` }, options);
  }

  /**
   * Polls oauth-status until the flow is `completed`, `failed` or `expired`, and returns that
   * status (a failed one too: `error.code` says why). Throws LayersError `TIMEOUT` if still pending.
   */
  async waitForOAuth(state: string, { timeoutMs = 600_000, intervalMs = 2_000 }: WaitForOAuthOptions = {}): Promise<OAuthStatus> {
    const deadline = this.#http.now() + timeoutMs;
    for (;;) {
      const status = await this.getOAuthStatus({ state });
      if (TERMINAL.has(status.status)) return status;
      const left = deadline - this.#http.now();
      if (left <= 0) {
        throw new LayersError({ status: 0, code: 'TIMEOUT', message: `OAuth state ${state} was still ${status.status} after ${timeoutMs} ms.`, details: { state, status: status.status } });
      }
      await this.#http.sleep(Math.min(intervalMs, left));
    }
  }

  /** One page (`await`), or every account (`for await`); newest connection first. */
  listAccounts({ projectId, cursor, ...query }: Params<'listSocialAccounts'>, options?: RequestOptions): PageRequest<SocialAccount> {
    const path = `/v1/projects/${encodeURIComponent(projectId)}/social-accounts`;
    return new PageRequest((next) => this.#http.request({ method: 'GET', path, query: { ...query, cursor: next } }, options), cursor);
  }

  /** Token health; `check: "live"` asks the platform first. */
  getHealth({ socialAccountId, ...query }: Params<'getSocialAccountHealth'>, options?: RequestOptions): Promise<Result<'getSocialAccountHealth'>> {
    return this.#http.request({ method: 'GET', path: `/v1/social-accounts/${encodeURIComponent(socialAccountId)}/health`, query }, options);
  }

  /**
   * A reconnect link to send the person (e-mail, chat): it lives for days (`expiresInSeconds`) and
   * starts the consent when clicked. `socialAccountId` reconnects that account; `platform` connects a
   * new one. `url` is shown once. Replayed on Idempotency-Key.
   */
  createReconnectLink({ projectId, ...body }: Params<'createReconnectLink'>, options?: RequestOptions): Promise<Result<'createReconnectLink'>> {
    return this.#http.request({ method: 'POST', path: `/v1/projects/${encodeURIComponent(projectId)}/social/reconnect-links`, body }, options);
  }

  /** A link's status (`active`, `used`, `expired`, `revoked`), clicks, and `lastState` to poll with getOAuthStatus. */
  getReconnectLink({ linkId }: Params<'getReconnectLink'>, options?: RequestOptions): Promise<Result<'getReconnectLink'>> {
    return this.#http.request({ method: 'GET', path: `/v1/social/reconnect-links/${encodeURIComponent(linkId)}` }, options);
  }

  /** The link stops working at once; a consent one of its clicks started binds nothing. */
  revokeReconnectLink({ linkId }: Params<'revokeReconnectLink'>, options?: RequestOptions): Promise<Result<'revokeReconnectLink'>> {
    return this.#http.request({ method: 'DELETE', path: `/v1/social/reconnect-links/${encodeURIComponent(linkId)}` }, options);
  }

  /** Final: the account becomes `disconnected` and its queued posts are canceled. */
  revoke({ socialAccountId }: Params<'revokeSocialAccount'>, options?: RequestOptions): Promise<Result<'revokeSocialAccount'>> {
    return this.#http.request({ method: 'DELETE', path: `/v1/social-accounts/${encodeURIComponent(socialAccountId)}` }, options);
  }
}
