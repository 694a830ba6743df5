import { z } from 'zod';
import type { PlatformAdapterOptions } from './adapter-options.ts';
import { classifyInstagramFailure, isInstagramFailure } from './instagram-errors.ts';
import type { PlatformAdapter, PlatformEndpoints, PlatformProfile, TokenSet } from './platform.ts';
import { invalidResponse, platformFailure } from './platform-failure.ts';
import type { FailureContext } from './platform-failure.ts';
import { createPlatformSend, endpointUrl, parseSuccessBody } from './platform-http.ts';
import type { PlatformRequest, PlatformResponse } from './platform-http.ts';
import { refreshPointBefore } from './refresh-schedule.ts';
import { parseScopeList } from './scope-list.ts';

const DEFAULT_SCOPES = ['instagram_business_basic', 'instagram_business_content_publish'] as const;

/** Instagram refuses to refresh a long-lived token younger than a day (PLATFORMS.md 2.1). */
const MINIMUM_REFRESH_AGE_MS = 24 * 60 * 60 * 1000;
const ELIGIBLE_ACCOUNT_TYPES = new Set(['BUSINESS', 'MEDIA_CREATOR']);
const PROFILE_FIELDS = 'user_id,username,name,account_type,profile_picture_url';

/**
 * `user_id` is deliberately not read: it is a JSON number above 2^53 that JSON.parse corrupts.
 * The id comes from /me instead.
 */
const shortLivedGrantSchema = z.object({
  access_token: z.string().min(1),
  permissions: z.union([z.string(), z.array(z.string())]).optional(),
});

/** Real answers are flat; the documentation shows them wrapped in `data` (PLATFORMS.md 2.1). */
const codeExchangeSchema = z.union([
  shortLivedGrantSchema,
  z.object({ data: z.tuple([shortLivedGrantSchema], z.unknown()) }).transform((wrapped) => wrapped.data[0]),
]);

/** Both `ig_exchange_token` and `ig_refresh_token` answer with this. */
const longLivedTokenSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().positive(),
});

const profileSchema = z.object({
  user_id: z.union([z.string().regex(/^\d+$/), z.number()]),
  username: z.string().min(1),
  name: z.string().nullish(),
  account_type: z.string().nullish(),
  profile_picture_url: z.string().nullish(),
});

/** A trailing `#_` is Instagram's redirect fragment, copied along by clients reading the whole URL. */
function withoutFragmentSuffix(code: string): string {
  return code.replace(/#_?$/, '');
}

/** The digits of a numeric `user_id` exactly as sent, which the JSON.parse'd number may not hold. */
function exactUserId(userId: string | number, rawBody: string): string | null {
  if (typeof userId === 'string') return userId;
  return /"user_id"\s*:\s*(\d+)/.exec(rawBody)?.[1] ?? null;
}

function longLivedTokenSet(token: z.infer<typeof longLivedTokenSchema>, issuedAt: Date, grantedScopes: string[]): TokenSet {
  const expiresAt = new Date(issuedAt.getTime() + token.expires_in * 1000).toISOString();
  return {
    accessToken: token.access_token,
    // There is no refresh token: the long-lived token refreshes itself until it expires.
    refreshToken: null,
    accessTokenExpiresAt: expiresAt,
    refreshTokenExpiresAt: expiresAt,
    issuedAt: issuedAt.toISOString(),
    grantedScopes,
  };
}

function requiredGraphBaseUrl(endpoints: PlatformEndpoints): string {
  if (endpoints.graphBaseUrl === undefined) throw new Error('Instagram endpoints need graphBaseUrl (graph.instagram.com)');
  return endpoints.graphBaseUrl;
}

export function createInstagramAdapter(options: PlatformAdapterOptions): PlatformAdapter {
  const { endpoints, clock } = options;
  const graphBaseUrl = requiredGraphBaseUrl(endpoints);
  const send = createPlatformSend(options);

  function context(operation: string, secrets: string[]): FailureContext {
    return { platform: 'instagram', operation, secrets: [endpoints.clientSecret, ...secrets] };
  }

  async function call(request: PlatformRequest): Promise<PlatformResponse> {
    const response = await send(request);
    if (isInstagramFailure(response.status, response.body)) {
      throw platformFailure(request, classifyInstagramFailure(response.status, response.body), response.status);
    }
    return response;
  }

  /** `GET graph/{path}` for the two token grants, which take the token as a query parameter. */
  async function longLivedToken(
    operation: string,
    path: string,
    grant: Record<string, string>,
    accessToken: string,
    grantedScopes: string[],
  ): Promise<TokenSet> {
    const failureContext = context(operation, [accessToken]);
    const issuedAt = clock.now();
    const url = endpointUrl(graphBaseUrl, path, { ...grant, access_token: accessToken });
    const response = await call({ ...failureContext, method: 'GET', url });
    return longLivedTokenSet(parseSuccessBody(longLivedTokenSchema, response, failureContext), issuedAt, grantedScopes);
  }

  return {
    platform: 'instagram',
    defaultScopes: DEFAULT_SCOPES,
    requiredScopes: DEFAULT_SCOPES,

    // Instagram Login has no PKCE; the verifier stays unused.
    authorizeUrl(request) {
      return endpointUrl(endpoints.authBaseUrl, '/oauth/authorize', {
        client_id: endpoints.clientId,
        redirect_uri: request.redirectUri,
        response_type: 'code',
        scope: request.scopes.join(','),
        state: request.state,
      });
    },

    async exchangeCode(exchange) {
      const code = withoutFragmentSuffix(exchange.code);
      const failureContext = context('code exchange', [code]);
      const response = await call({
        ...failureContext,
        method: 'POST',
        url: endpointUrl(endpoints.apiBaseUrl, '/oauth/access_token'),
        form: {
          client_id: endpoints.clientId,
          client_secret: endpoints.clientSecret,
          grant_type: 'authorization_code',
          redirect_uri: exchange.redirectUri,
          code,
        },
      });
      const shortLived = parseSuccessBody(codeExchangeSchema, response, failureContext);
      const grantedScopes = shortLived.permissions === undefined ? [] : parseScopeList(shortLived.permissions);
      // The one-hour token is only a step: the server keeps the 60-day one.
      return longLivedToken(
        'long-lived token exchange',
        '/access_token',
        { grant_type: 'ig_exchange_token', client_secret: endpoints.clientSecret },
        shortLived.access_token,
        grantedScopes,
      );
    },

    async fetchProfile(tokens): Promise<PlatformProfile> {
      const failureContext = context('profile', [tokens.accessToken]);
      const response = await call({
        ...failureContext,
        method: 'GET',
        url: endpointUrl(graphBaseUrl, '/me', { fields: PROFILE_FIELDS }),
        bearerToken: tokens.accessToken,
      });
      const profile = parseSuccessBody(profileSchema, response, failureContext);
      const platformUserId = exactUserId(profile.user_id, response.text);
      if (platformUserId === null) throw invalidResponse(failureContext, response.status, 'user_id is not an integer');
      return {
        platformUserId,
        handle: profile.username,
        displayName: profile.name || null,
        avatarUrl: profile.profile_picture_url || null,
        // Personal accounts cannot publish through the API.
        eligible: ELIGIBLE_ACCOUNT_TYPES.has(profile.account_type ?? ''),
      };
    },

    refresh(tokens) {
      return longLivedToken(
        'token refresh',
        '/refresh_access_token',
        { grant_type: 'ig_refresh_token' },
        tokens.accessToken,
        tokens.grantedScopes,
      );
    },

    nextRefreshAt(tokens) {
      const issuedAt = new Date(tokens.issuedAt);
      const expiresAt = new Date(tokens.accessTokenExpiresAt);
      const earliest = issuedAt.getTime() + MINIMUM_REFRESH_AGE_MS;
      const at = Math.max(earliest, refreshPointBefore(issuedAt, expiresAt).getTime());
      // A token that dies before it is a day old can never be refreshed: the account will need a reconnect.
      return at < expiresAt.getTime() ? new Date(at).toISOString() : null;
    },

    // Instagram Login has no revoke endpoint: a user removes the app in Instagram's settings, and the
    // server forgetting the token is all that can be done here.
    async revoke() {},
  };
}
