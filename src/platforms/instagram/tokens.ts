import { z } from 'zod';
import type { PlatformHttp } from '../http-client.ts';
import { requestTokenEndpoint } from '../oauth-core.ts';
import { parseScopeList, secondsAfter, type TokenSet } from '../tokens.ts';

/**
 * `user_id` is deliberately not read: it is a JSON number above 2^53 that JSON.parse corrupts.
 * The id comes from /me instead.
 */
const shortLivedGrantSchema = z.object({
  access_token: z.string().min(1),
  permissions: z.union([z.string(), z.array(z.string())]).optional(),
});

/** Real answers are flat; the documentation shows them wrapped in `data` (docs/platforms/instagram.md). */
const codeExchangeSchema = z.union([
  shortLivedGrantSchema,
  z.object({ data: z.tuple([shortLivedGrantSchema], z.unknown()) }).transform((wrapped) => wrapped.data[0]),
]);

/** Both `ig_exchange_token` and `ig_refresh_token` answer with this. */
const longLivedTokenSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().positive(),
});

/** A trailing `#_` is Instagram's redirect fragment, copied along by clients reading the whole URL. */
function withoutFragmentSuffix(code: string): string {
  return code.replace(/#_?$/, '');
}

/** `GET graph/{path}` for the two long-lived token grants, which take the token as a query parameter. */
async function longLivedToken(
  http: PlatformHttp,
  operation: string,
  path: string,
  grant: Record<string, string>,
  accessToken: string,
  grantedScopes: string[],
): Promise<TokenSet> {
  const issuedAt = http.clock.now();
  const request = {
    operation,
    method: 'GET',
    url: http.url('graphBaseUrl', path),
    query: { ...grant, access_token: accessToken },
    secrets: [accessToken],
  } as const;
  const token = http.parse(longLivedTokenSchema, await http.call(request), request);
  const expiresAt = secondsAfter(issuedAt, token.expires_in);
  return {
    accessToken: token.access_token,
    refreshToken: null,
    accessTokenExpiresAt: expiresAt,
    refreshTokenExpiresAt: expiresAt,
    issuedAt: issuedAt.toISOString(),
    grantedScopes,
  };
}

/** The code buys a one-hour token, which is only a step: the server keeps the 60-day one. */
export async function exchangeInstagramCode(http: PlatformHttp, rawCode: string, redirectUri: string): Promise<TokenSet> {
  const code = withoutFragmentSuffix(rawCode);
  const { request, response } = await requestTokenEndpoint(
    http,
    'code exchange',
    { grant_type: 'authorization_code', redirect_uri: redirectUri, code },
    [code],
  );
  const shortLived = http.parse(codeExchangeSchema, response, request);
  const grantedScopes = shortLived.permissions === undefined ? [] : parseScopeList(shortLived.permissions, ',');
  return longLivedToken(
    http,
    'long-lived token exchange',
    '/access_token',
    { grant_type: 'ig_exchange_token', client_secret: http.endpoints.clientSecret },
    shortLived.access_token,
    grantedScopes,
  );
}

export function refreshLongLivedToken(http: PlatformHttp, tokens: TokenSet): Promise<TokenSet> {
  return longLivedToken(http, 'token refresh', '/refresh_access_token', { grant_type: 'ig_refresh_token' }, tokens.accessToken, tokens.grantedScopes);
}
