import type { YouTubeConfig } from './config.ts';
import { isAcceptableRedirectUri } from '../consent-flow.ts';
import type { AuthorizeValidation, ConsentPlatform } from '../consent-flow.ts';
import { firstValue } from '../form-values.ts';
import type { FormValues } from '../form-values.ts';
import { randomAlphanumeric } from '../random-token.ts';

/** Google does not document it; codes are short-lived. */
const CODE_TTL_SECONDS = 600;

const GOOGLE_SCOPE = 'https://www.googleapis.com/auth/';
/** The scopes this emulator knows: YouTube's and the sign-in ones; anything else is `invalid_scope`. */
const KNOWN_SCOPES = new Set([
  ...['youtube', 'youtube.readonly', 'youtube.upload', 'youtube.force-ssl', 'youtubepartner', 'youtubepartner-channel-audit'].map(
    (scope) => `${GOOGLE_SCOPE}${scope}`,
  ),
  `${GOOGLE_SCOPE}userinfo.email`,
  `${GOOGLE_SCOPE}userinfo.profile`,
  'openid',
  'email',
  'profile',
]);
const PROMPTS = new Set(['none', 'consent', 'select_account']);

/** Google's error page: "Access blocked: …" with the error code and what was wrong. */
function refused(code: string, detail: string): AuthorizeValidation {
  return { ok: false, message: `Access blocked: this app's request is invalid. Error 400: ${code}. ${detail}` };
}

/** The parameters Google checks beyond client, redirect and response type; null when they pass. */
function invalidOption(params: FormValues): AuthorizeValidation | null {
  const accessType = firstValue(params, 'access_type');
  if (accessType !== undefined && accessType !== 'online' && accessType !== 'offline') return refused('invalid_request', `Invalid access_type: ${accessType}`);
  const prompt = firstValue(params, 'prompt');
  const badPrompt = prompt?.split(' ').find((value) => !PROMPTS.has(value));
  if (badPrompt !== undefined) return refused('invalid_request', `Invalid prompt: ${badPrompt}`);
  const include = firstValue(params, 'include_granted_scopes');
  if (include !== undefined && include !== 'true' && include !== 'false') return refused('invalid_request', `Invalid include_granted_scopes: ${include}`);
  const unknown = (params['scope'] ?? []).flatMap((value) => value.split(' ')).filter((scope) => scope !== '' && !KNOWN_SCOPES.has(scope));
  if (unknown.length > 0) return refused('invalid_scope', `Some requested scopes were invalid. {invalid=[${unknown.join(', ')}]}`);
  const challenge = firstValue(params, 'code_challenge');
  const method = firstValue(params, 'code_challenge_method');
  if (challenge !== undefined && method !== 'S256') return refused('invalid_request', `Invalid code_challenge_method: ${method ?? '(none)'}`);
  if (challenge === undefined && method !== undefined) return refused('invalid_request', 'Missing code_challenge');
  return null;
}

export function youtubeConsent(config: YouTubeConfig): ConsentPlatform {
  return {
    platform: 'youtube',
    branding: { name: 'Google', accentColor: '#1a73e8' },
    codeTtlSeconds: CODE_TTL_SECONDS,

    validate(params: FormValues): AuthorizeValidation {
      const clientId = firstValue(params, 'client_id');
      if (clientId !== config.clientId) return { ok: false, message: 'Access blocked: authorization error. Error 401: invalid_client. The OAuth client was not found.' };
      const redirectUri = firstValue(params, 'redirect_uri');
      if (!isAcceptableRedirectUri(redirectUri)) return refused('redirect_uri_mismatch', 'The redirect URI in the request does not match the ones authorized for the OAuth client.');
      if (firstValue(params, 'response_type') !== 'code') return refused('unsupported_response_type', `Invalid response_type: ${firstValue(params, 'response_type') ?? '(none)'}`);
      const invalid = invalidOption(params);
      if (invalid !== null) return invalid;
      return {
        ok: true,
        request: {
          clientId,
          redirectUri,
          state: firstValue(params, 'state'),
          codeChallenge: firstValue(params, 'code_challenge'),
          // Without offline access the code buys an access token only.
          offlineAccess: firstValue(params, 'access_type') === 'offline',
        },
      };
    },

    // Real codes start `4/0A` and carry a `/`, which arrives percent-encoded: clients must URL-decode it.
    mintCode: () => `4/0A${randomAlphanumeric(72)}`,

    // Granular consent: `scope` lists what the person left ticked, space-separated.
    approvedRedirect(request, code, grantedScopes) {
      const url = new URL(request.redirectUri);
      if (request.state !== undefined) url.searchParams.set('state', request.state);
      url.searchParams.set('code', code);
      url.searchParams.set('scope', grantedScopes.join(' '));
      return url.toString();
    },

    deniedRedirect(request) {
      const url = new URL(request.redirectUri);
      url.searchParams.set('error', 'access_denied');
      if (request.state !== undefined) url.searchParams.set('state', request.state);
      return url.toString();
    },
  };
}
