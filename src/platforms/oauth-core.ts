import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { PlatformAdapter } from './adapter.ts';
import { invalidResponse } from './errors.ts';
import { createPlatformHttp, type PlatformHttp, type PlatformHttpOptions, type PlatformRequest } from './http-client.ts';
import type { OAuthDescription, PlatformModule } from './module.ts';
import type { PlatformId } from './registry.ts';
import { parseScopeList, secondsAfter, type TokenSet } from './tokens.ts';

/**
 * The shared OAuth 2.0 core: consent URL, code exchange, refresh and revoke for every platform,
 * configured by each module's OAuthDescription. Why not arctic or oauth4webapi: see
 * docs/design/oauth-core.md (errors answered with 200, renamed client id parameters, token answers
 * without `token_type` and with 64-bit ids, lifetimes always read from each answer, refresh tokens
 * that rotate on one platform and not on another, failures classified for reauth).
 */

/** RFC 7636 S256: base64url(sha256(ascii(verifier))). */
export function s256CodeChallenge(codeVerifier: string): string {
  return createHash('sha256').update(codeVerifier, 'ascii').digest('base64url');
}

/**
 * The token endpoint's answer, as RFC 6749 §5.1 describes it plus the `refresh_expires_in` some
 * platforms add. `token_type` is not required: some platforms omit it.
 */
const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().positive(),
  refresh_token: z.string().min(1).optional(),
  refresh_expires_in: z.number().positive().optional(),
  scope: z.string().optional(),
});

export type TokenResponse = z.infer<typeof tokenResponseSchema>;

/** POSTs a grant to the module's token endpoint, with the app's credentials where the platform wants them. */
export async function requestTokenEndpoint(
  http: PlatformHttp,
  operation: string,
  grant: Record<string, string>,
  secrets: string[],
  hints: Pick<PlatformRequest, 'refreshTokenExpired'> = {},
) {
  const { token } = http.module.oauth;
  const { clientId, clientSecret } = http.endpoints;
  const params = token.clientAuth === 'body' ? { [token.clientIdParam]: clientId, client_secret: clientSecret, ...grant } : grant;
  const request: PlatformRequest = {
    operation,
    method: 'POST',
    url: http.url(token.host, token.path),
    secrets,
    ...hints,
    ...(token.bodyFormat === 'form' ? { form: params } : { json: params }),
    ...(token.clientAuth === 'basic' ? { basicAuth: { username: clientId, password: clientSecret } } : {}),
  };
  return { request, response: await http.call(request) };
}

/**
 * A token answer as the server keeps it. Lifetimes come from each answer, never from constants
 * (platforms change them: docs/design/oauth-core.md). A `stable` refresh token that does not come
 * back is kept; a `rotating` one must.
 */
async function grantTokens(
  http: PlatformHttp,
  operation: string,
  grant: Record<string, string>,
  secrets: string[],
  options: { fallbackScopes: string[]; previous: TokenSet | null; refreshTokenExpired?: boolean },
): Promise<TokenSet> {
  const oauth = http.module.oauth;
  const issuedAt = http.clock.now();
  const hints = options.refreshTokenExpired === undefined ? {} : { refreshTokenExpired: options.refreshTokenExpired };
  const { request, response } = await requestTokenEndpoint(http, operation, grant, secrets, hints);
  const tokens = http.parse(tokenResponseSchema, response, request);
  const rotating = oauth.refresh.kind === 'grant' && oauth.refresh.refreshTokens === 'rotating';
  if (rotating && (tokens.refresh_token === undefined || tokens.refresh_expires_in === undefined)) {
    throw invalidResponse(http.failureContext(request), response.status, 'unexpected response shape at refresh_token');
  }
  const refreshToken = tokens.refresh_token ?? options.previous?.refreshToken ?? null;
  const refreshTokenExpiresAt =
    tokens.refresh_expires_in !== undefined
      ? secondsAfter(issuedAt, tokens.refresh_expires_in)
      : tokens.refresh_token === undefined
        ? (options.previous?.refreshTokenExpiresAt ?? null)
        : null;
  return {
    accessToken: tokens.access_token,
    refreshToken,
    accessTokenExpiresAt: secondsAfter(issuedAt, tokens.expires_in),
    refreshTokenExpiresAt,
    issuedAt: issuedAt.toISOString(),
    grantedScopes: tokens.scope === undefined ? options.fallbackScopes : parseScopeList(tokens.scope, oauth.scopeSeparator),
  };
}

function pkceParams(oauth: OAuthDescription, codeVerifier: string): Record<string, string> {
  if (oauth.pkce === 'none') return {};
  if (oauth.pkce === 'plain') return { code_challenge: codeVerifier, code_challenge_method: 'plain' };
  return { code_challenge: s256CodeChallenge(codeVerifier), code_challenge_method: 'S256' };
}

/** Builds the adapter of one platform app (the emulator's or a live one) from its module. */
export function createPlatformAdapter(module: PlatformModule, options: PlatformHttpOptions): PlatformAdapter {
  const http = createPlatformHttp(module, options);
  const { oauth } = module;
  const { endpoints } = options;

  return {
    platform: module.id as PlatformId,
    module,
    http,
    defaultScopes: oauth.defaultScopes,
    requiredScopes: oauth.requiredScopes,

    authorizeUrl(request) {
      const query = new URLSearchParams({
        [oauth.authorize.clientIdParam]: endpoints.clientId,
        response_type: 'code',
        scope: request.scopes.join(oauth.scopeSeparator),
        redirect_uri: request.redirectUri,
        state: request.state,
        ...oauth.authorize.extraParams,
        ...pkceParams(oauth, request.codeVerifier),
      });
      return `${http.url(oauth.authorize.host, oauth.authorize.path)}?${query}`;
    },

    callbackScopes(query) {
      const value = oauth.callbackScopesParam === null ? undefined : query[oauth.callbackScopesParam];
      return value === undefined ? null : parseScopeList(value, oauth.scopeSeparator);
    },

    exchangeCode({ code, redirectUri, codeVerifier, callbackScopes }) {
      if (oauth.exchange) return oauth.exchange(http, code, redirectUri, codeVerifier, callbackScopes);
      return grantTokens(
        http,
        'code exchange',
        {
          grant_type: 'authorization_code',
          code,
          redirect_uri: redirectUri,
          ...(oauth.pkce === 'none' ? {} : { code_verifier: codeVerifier }),
        },
        [code, codeVerifier],
        { fallbackScopes: callbackScopes ?? [], previous: null },
      );
    },

    fetchProfile: (tokens) => module.fetchProfile(http, tokens),

    async refresh(tokens) {
      if (oauth.refresh.kind === 'custom') return oauth.refresh.run(http, tokens);
      if (tokens.refreshToken === null) {
        const classification = { kind: 'other', platformCode: 'missing_refresh_token', reauthReason: null, detail: null } as const;
        throw http.fail({ operation: 'token refresh', secrets: [tokens.accessToken] }, classification, null);
      }
      const refreshTokenExpired = tokens.refreshTokenExpiresAt !== null && new Date(tokens.refreshTokenExpiresAt) <= http.clock.now();
      // The answer carries the rotated refresh token where the platform rotates them: the old one is dead.
      return grantTokens(
        http,
        'token refresh',
        { grant_type: 'refresh_token', refresh_token: tokens.refreshToken },
        [tokens.refreshToken, tokens.accessToken],
        { fallbackScopes: tokens.grantedScopes, previous: tokens, refreshTokenExpired },
      );
    },

    nextRefreshAt: (tokens) => oauth.nextRefreshAt(tokens),

    async revoke(tokens) {
      if (oauth.revoke === null) return;
      const token = oauth.revoke.token === 'refresh' ? (tokens.refreshToken ?? tokens.accessToken) : tokens.accessToken;
      const credentials: Record<string, string> =
        oauth.revoke.clientAuth === 'body' ? { [oauth.token.clientIdParam]: endpoints.clientId, client_secret: endpoints.clientSecret } : {};
      await http.call({
        operation: 'revoke',
        method: 'POST',
        url: http.url(oauth.revoke.host, oauth.revoke.path),
        form: { ...credentials, token },
        secrets: [tokens.accessToken, tokens.refreshToken ?? ''],
      });
    },
  };
}
