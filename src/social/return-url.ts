import type { Principal } from '../api-keys/authenticate.ts';
import { ApiError } from '../errors.ts';

// Checked on the raw input, before any URL parser sees it: parsers disagree on these (a browser
// reads `http://localhost\@evil.com/` as localhost, curl and Python's urllib as evil.com).
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Why a return URL is refused even though a URL parser accepts it, or null. Refused: a backslash,
 * a control character, surrounding whitespace, or credentials (userinfo).
 */
export function returnUrlProblem(raw: string): string | null {
  if (raw.includes('\\')) return 'Must not contain a backslash.';
  if (CONTROL_CHARACTERS.test(raw)) return 'Must not contain control characters.';
  if (raw !== raw.trim()) return 'Must not start or end with whitespace.';
  const url = URL.parse(raw);
  if (url && (url.username || url.password)) return 'Must not carry credentials (user:password@).';
  return null;
}

/**
 * The one form a return URL is stored and redirected to: the WHATWG URL serialisation, which is
 * pure ASCII (host in punycode, everything else percent-encoded), so `Location` always is too.
 */
export function normalizeReturnUrl(raw: string): string {
  return new URL(raw).href;
}

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
