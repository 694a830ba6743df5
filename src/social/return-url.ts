import type { Principal } from '../api-keys/authenticate.ts';
import { ApiError } from '../errors.ts';

/**
 * `returnUrl`'s host must equal, case-insensitively, one entry of the key's allowlist: no
 * subdomain wildcards, so a partner's allowlist can never be widened into an open redirect.
 */
export function assertReturnUrlAllowed(principal: Principal, returnUrl: string): void {
  const host = new URL(returnUrl).hostname.toLowerCase();
  if (!principal.returnUrlAllowlist.includes(host)) {
    throw new ApiError(403, 'RETURN_URL_NOT_ALLOWED', `The host "${host}" is not on this API key's return-URL allowlist.`, {
      returnUrl,
      host,
    });
  }
}

/**
 * The return URL with `layers_oauth_error=<CODE>` appended. The partner's own query is kept byte
 * for byte (re-serializing it through URLSearchParams would rewrite `/`, `~`, `%20`, `flag`…,
 * breaking signed or compared return URLs); a fragment stays last.
 */
export function returnUrlWithError(returnUrl: string, code: string): string {
  const url = new URL(returnUrl);
  const param = `layers_oauth_error=${encodeURIComponent(code)}`;
  url.search = url.search.length > 1 ? `${url.search}&${param}` : param;
  return url.toString();
}
