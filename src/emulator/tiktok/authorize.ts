import { randomInt } from 'node:crypto';
import type { TikTokConfig } from './config.ts';
import { isAcceptableRedirectUri } from '../consent-flow.ts';
import type { AuthorizeValidation, ConsentPlatform } from '../consent-flow.ts';
import { firstValue } from '../form-values.ts';
import type { FormValues } from '../form-values.ts';
import { randomAlphanumeric } from '../random-token.ts';

/** Not documented by TikTok; a few minutes, as docs/platforms/tiktok.md suggests. */
const CODE_TTL_SECONDS = 600;

/** TikTok's wording when it refuses an authorize request. */
function refused(parameter: string): AuthorizeValidation {
  return {
    ok: false,
    message: `We couldn't log in with TikTok. This may be due to specific app settings. If you're a developer, correct the following and try again: ${parameter}`,
  };
}

export function tiktokConsent(config: TikTokConfig): ConsentPlatform {
  return {
    platform: 'tiktok',
    branding: { name: 'TikTok', accentColor: '#fe2c55' },
    codeTtlSeconds: CODE_TTL_SECONDS,

    validate(params: FormValues): AuthorizeValidation {
      const clientKey = firstValue(params, 'client_key');
      if (clientKey !== config.clientKey) return refused('client_key');
      const redirectUri = firstValue(params, 'redirect_uri');
      if (!isAcceptableRedirectUri(redirectUri)) return refused('redirect_uri');
      if (firstValue(params, 'response_type') !== 'code') return refused('response_type');
      const method = firstValue(params, 'code_challenge_method');
      if (method !== undefined && method !== 'S256') return refused('code_challenge_method');
      const codeChallenge = firstValue(params, 'code_challenge');
      if (config.pkceMode === 'desktop' && codeChallenge === undefined) return refused('code_challenge');
      return { ok: true, request: { clientId: clientKey, redirectUri, state: firstValue(params, 'state'), codeChallenge } };
    },

    // Real codes contain `*` and `!`, which arrive percent-encoded: clients must URL-decode them.
    mintCode: () => `${randomAlphanumeric(64)}*0!${randomInt(1000, 10000)}.va`,

    approvedRedirect(request, code, grantedScopes) {
      const url = new URL(request.redirectUri);
      url.searchParams.set('code', code);
      url.searchParams.set('scopes', grantedScopes.join(','));
      if (request.state !== undefined) url.searchParams.set('state', request.state);
      return url.toString();
    },

    deniedRedirect(request) {
      const url = new URL(request.redirectUri);
      url.searchParams.set('error', 'access_denied');
      url.searchParams.set('error_description', 'The user denied the authorization request.');
      if (request.state !== undefined) url.searchParams.set('state', request.state);
      return url.toString();
    },
  };
}
