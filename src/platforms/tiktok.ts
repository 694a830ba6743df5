import { z } from 'zod';
import type { PlatformAdapterOptions } from './adapter-options.ts';
import { s256CodeChallenge } from './pkce.ts';
import type { PlatformAdapter, PlatformProfile, TokenSet } from './platform.ts';
import { platformFailure } from './platform-failure.ts';
import type { FailureContext } from './platform-failure.ts';
import { createPlatformSend, endpointUrl, parseSuccessBody } from './platform-http.ts';
import type { PlatformRequest, PlatformResponse } from './platform-http.ts';
import { refreshPointBefore } from './refresh-schedule.ts';
import { parseScopeList } from './scope-list.ts';
import { classifyTikTokFailure, isTikTokFailure } from './tiktok-errors.ts';
import type { TikTokCall } from './tiktok-errors.ts';

const DEFAULT_SCOPES = ['user.info.basic', 'user.info.profile', 'video.publish', 'video.upload'] as const;
const REQUIRED_SCOPES = ['user.info.basic', 'video.publish'] as const;

/** Fields `user.info.basic` covers; `username` needs `user.info.profile` since 2024 (PLATFORMS.md 1.4). */
const BASIC_USER_FIELDS = ['open_id', 'union_id', 'avatar_url', 'display_name'] as const;
const PROFILE_SCOPE = 'user.info.profile';

/** Flat token response of both grants (PLATFORMS.md 1.3); lifetimes are remaining seconds. */
const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().positive(),
  refresh_token: z.string().min(1),
  refresh_expires_in: z.number().positive(),
  scope: z.string().optional(),
});

const userInfoSchema = z.object({
  data: z.object({
    user: z.object({
      open_id: z.string().min(1),
      display_name: z.string().optional(),
      avatar_url: z.string().optional(),
      username: z.string().optional(),
    }),
  }),
});

function secondsAfter(start: Date, seconds: number): string {
  return new Date(start.getTime() + seconds * 1000).toISOString();
}

export function createTikTokAdapter(options: PlatformAdapterOptions): PlatformAdapter {
  const { endpoints, clock } = options;
  const send = createPlatformSend(options);

  function context(operation: string, secrets: string[]): FailureContext {
    return { platform: 'tiktok', operation, secrets: [endpoints.clientSecret, ...secrets] };
  }

  async function call(request: PlatformRequest, tiktokCall: TikTokCall): Promise<PlatformResponse> {
    const response = await send(request);
    if (isTikTokFailure(response.status, response.body)) {
      throw platformFailure(request, classifyTikTokFailure(response.status, response.body, tiktokCall), response.status);
    }
    return response;
  }

  /** Both grants of `POST /v2/oauth/token/`; `fallbackScopes` stand in when TikTok omits `scope`. */
  async function requestTokens(
    failureContext: FailureContext,
    grant: Record<string, string>,
    tiktokCall: TikTokCall,
    fallbackScopes: string[],
  ): Promise<TokenSet> {
    const issuedAt = clock.now();
    const response = await call(
      {
        ...failureContext,
        method: 'POST',
        url: endpointUrl(endpoints.apiBaseUrl, '/v2/oauth/token/'),
        form: { client_key: endpoints.clientId, client_secret: endpoints.clientSecret, ...grant },
      },
      tiktokCall,
    );
    const tokens = parseSuccessBody(tokenResponseSchema, response, failureContext);
    // Lifetimes come from each response, never from constants: TikTok has changed them before (LESSONS.md 4).
    return {
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token,
      accessTokenExpiresAt: secondsAfter(issuedAt, tokens.expires_in),
      refreshTokenExpiresAt: secondsAfter(issuedAt, tokens.refresh_expires_in),
      issuedAt: issuedAt.toISOString(),
      grantedScopes: tokens.scope === undefined ? fallbackScopes : parseScopeList(tokens.scope),
    };
  }

  return {
    platform: 'tiktok',
    defaultScopes: DEFAULT_SCOPES,
    requiredScopes: REQUIRED_SCOPES,

    authorizeUrl(request) {
      return endpointUrl(endpoints.authBaseUrl, '/v2/auth/authorize/', {
        client_key: endpoints.clientId,
        response_type: 'code',
        scope: request.scopes.join(','),
        redirect_uri: request.redirectUri,
        state: request.state,
        code_challenge: s256CodeChallenge(request.codeVerifier),
        code_challenge_method: 'S256',
      });
    },

    exchangeCode(exchange) {
      return requestTokens(
        context('code exchange', [exchange.code, exchange.codeVerifier]),
        {
          grant_type: 'authorization_code',
          code: exchange.code,
          redirect_uri: exchange.redirectUri,
          code_verifier: exchange.codeVerifier,
        },
        { endpoint: 'code_exchange' },
        exchange.callbackScopes ?? [],
      );
    },

    async fetchProfile(tokens): Promise<PlatformProfile> {
      // Asking for a field whose scope was not granted fails the whole call, so ask only for what was granted.
      const withUsername = tokens.grantedScopes.includes(PROFILE_SCOPE);
      const fields = withUsername ? [...BASIC_USER_FIELDS, 'username'] : BASIC_USER_FIELDS;
      const failureContext = context('user info', [tokens.accessToken]);
      const response = await call(
        {
          ...failureContext,
          method: 'GET',
          url: endpointUrl(endpoints.apiBaseUrl, '/v2/user/info/', { fields: fields.join(',') }),
          bearerToken: tokens.accessToken,
        },
        { endpoint: 'user_info' },
      );
      const { user } = parseSuccessBody(userInfoSchema, response, failureContext).data;
      return {
        platformUserId: user.open_id,
        handle: user.username || user.display_name || user.open_id,
        displayName: user.display_name || null,
        avatarUrl: user.avatar_url || null,
        // Every TikTok account can publish through the Content Posting API.
        eligible: true,
      };
    },

    async refresh(tokens) {
      if (tokens.refreshToken === null) {
        const classification = { kind: 'other', platformCode: 'missing_refresh_token', reauthReason: null } as const;
        throw platformFailure(context('token refresh', [tokens.accessToken]), classification, null);
      }
      const refreshTokenExpired =
        tokens.refreshTokenExpiresAt !== null && new Date(tokens.refreshTokenExpiresAt) <= clock.now();
      // The returned set carries the rotated refresh token: TikTok kills the old one as it issues the new one.
      return requestTokens(
        context('token refresh', [tokens.refreshToken, tokens.accessToken]),
        { grant_type: 'refresh_token', refresh_token: tokens.refreshToken },
        { endpoint: 'refresh', refreshTokenExpired },
        tokens.grantedScopes,
      );
    },

    nextRefreshAt(tokens) {
      if (tokens.refreshToken === null) return null;
      return refreshPointBefore(new Date(tokens.issuedAt), new Date(tokens.accessTokenExpiresAt)).toISOString();
    },

    async revoke(tokens) {
      await call(
        {
          ...context('revoke', [tokens.accessToken]),
          method: 'POST',
          url: endpointUrl(endpoints.apiBaseUrl, '/v2/oauth/revoke/'),
          form: { client_key: endpoints.clientId, client_secret: endpoints.clientSecret, token: tokens.accessToken },
        },
        { endpoint: 'revoke' },
      );
    },
  };
}
