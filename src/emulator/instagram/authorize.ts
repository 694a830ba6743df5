import type { InstagramConfig } from './config.ts';
import { isAcceptableRedirectUri } from '../consent-flow.ts';
import type { AuthorizeValidation, ConsentPlatform } from '../consent-flow.ts';
import { firstValue } from '../form-values.ts';
import type { FormValues } from '../form-values.ts';
import { randomAlphanumeric } from '../random-token.ts';

/** Codes are valid for one hour (docs/platforms/instagram.md). */
const CODE_TTL_SECONDS = 3600;

function invalid(detail: string): AuthorizeValidation {
  return { ok: false, message: `Invalid Request: Request parameters are invalid: ${detail}` };
}

export function instagramConsent(config: InstagramConfig): ConsentPlatform {
  return {
    platform: 'instagram',
    branding: { name: 'Instagram', accentColor: '#d62976' },
    codeTtlSeconds: CODE_TTL_SECONDS,

    // PKCE parameters are not part of Instagram Login and are ignored, as Instagram does.
    validate(params: FormValues): AuthorizeValidation {
      const clientId = firstValue(params, 'client_id');
      if (clientId !== config.clientId) return invalid('Invalid platform app');
      const redirectUri = firstValue(params, 'redirect_uri');
      if (!isAcceptableRedirectUri(redirectUri)) return invalid('Invalid redirect_uri');
      if (firstValue(params, 'response_type') !== 'code') return invalid('Invalid response_type');
      return { ok: true, request: { clientId, redirectUri, state: firstValue(params, 'state'), codeChallenge: undefined } };
    },

    mintCode: () => `AQ${randomAlphanumeric(150)}`,

    // Instagram appends `#_` to the success redirect; it is not part of the code.
    approvedRedirect(request, code) {
      const url = new URL(request.redirectUri);
      url.searchParams.set('code', code);
      if (request.state !== undefined) url.searchParams.set('state', request.state);
      url.hash = '_';
      return url.toString();
    },

    deniedRedirect(request) {
      const url = new URL(request.redirectUri);
      url.searchParams.set('error', 'access_denied');
      url.searchParams.set('error_reason', 'user_denied');
      url.searchParams.set('error_description', 'The user denied your request');
      if (request.state !== undefined) url.searchParams.set('state', request.state);
      return url.toString();
    },
  };
}
