import { z } from 'zod';
import type { RouteApp } from '../http/app.ts';
import type { ListVersions } from '../db/list-versions.ts';
import { principalOf } from '../http/access.ts';
import { pageKey, type ListedPages } from '../http/listed-pages.ts';
import { errorResponses } from '../http/openapi.ts';
import { paginationQuery } from '../http/pagination.ts';
import { pathId, projectIdParam } from '../http/path-params.ts';
import { PLATFORM_MODULES, PLATFORMS } from '../platforms/registry.ts';
import { accountPageVersion, listAccounts } from './accounts.ts';
import { mintConnectUrl, mintReauthUrl } from './authorize-url.ts';
import { completeOAuthCallback } from './callback.ts';
import { renderCallbackErrorPage, renderNoticePage } from './callback-page.ts';
import type { Credentials } from './credentials.ts';
import { checkAccountHealth } from './health.ts';
import { readOAuthStatus } from './oauth-status.ts';
import {
  clickReconnectLink,
  createReconnectLink,
  readReconnectLink,
  RECONNECT_LINK_PATH,
  revokeReconnectLink,
  type ReconnectLinkDeps,
} from './reconnect-links.ts';
import { revokeAccount } from './revoke.ts';
import {
  ACCOUNT_STATUSES,
  accountHealthSchema,
  authorizeUrlResponse,
  createdReconnectLinkSchema,
  oauthStatusSchema,
  oauthUrlBody,
  reauthUrlBody,
  reconnectLinkBody,
  reconnectLinkSchema,
  revokeResponseSchema,
  socialAccountSchema,
} from './schemas.ts';

const tags = ['Social accounts'];
const stateParam = z.object({
  state: z.string().regex(/^st_[0-9A-HJKMNP-TV-Z]{26}$/, 'Expected st_<ULID> (case-sensitive).'),
});
const accountParam = z.object({ socialAccountId: pathId('sa') });
const linkParam = z.object({ linkId: pathId('rl') });
const listQuery = z.strictObject({
  platform: z.enum(PLATFORMS).optional(),
  status: z.enum(ACCOUNT_STATUSES).optional(),
  leased: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  ...paginationQuery,
});
const accountPage = z.object({ items: z.array(socialAccountSchema), nextCursor: z.string().nullable() }).meta({ id: 'SocialAccountPage' });
/** What platforms send back; plus, per module, the parameter listing the scopes the person granted. */
const callbackQuery = z.object({
  code: z.string().max(4096).optional(),
  state: z.string().max(64).optional(),
  error: z.string().max(256).optional(),
  error_description: z.string().max(2048).optional(),
  ...Object.fromEntries(
    PLATFORM_MODULES.flatMap(({ oauth }) => (oauth.callbackScopesParam ? [[oauth.callbackScopesParam, z.string().max(4096).optional()]] : [])),
  ),
});

export function registerSocialRoutes(
  app: RouteApp,
  deps: ReconnectLinkDeps & { credentials: Credentials; listedPages: ListedPages; listVersions: ListVersions },
): void {
  app.post(
    '/v1/projects/:projectId/social/oauth-url',
    {
      schema: {
        tags,
        summary: 'Mint a consent URL that connects a new account',
        params: projectIdParam,
        body: oauthUrlBody,
        response: { 200: authorizeUrlResponse, ...errorResponses },
      },
      config: { access: { scope: 'social:write', endpointClass: 'oauth', idempotency: 'detect-conflicts' } },
    },
    async (request) => mintConnectUrl(deps, principalOf(request), request.params.projectId, request.body),
  );

  app.post(
    '/v1/projects/:projectId/social/reauth-url',
    {
      schema: {
        tags,
        summary: 'Mint a consent URL that reconnects an existing account (same socialAccountId)',
        params: projectIdParam,
        body: reauthUrlBody,
        response: { 200: authorizeUrlResponse, ...errorResponses },
      },
      config: { access: { scope: 'social:write', endpointClass: 'oauth', idempotency: 'detect-conflicts' } },
    },
    async (request) => mintReauthUrl(deps, principalOf(request), request.params.projectId, request.body),
  );

  app.get(
    '/v1/social/oauth-status/:state',
    {
      schema: { tags, summary: 'Where a consent flow stands', params: stateParam, response: { 200: oauthStatusSchema, ...errorResponses } },
      config: { access: { scope: 'social:read', endpointClass: 'read' } },
    },
    async (request) => readOAuthStatus(deps.db, deps.clock, principalOf(request), request.params.state),
  );

  app.post(
    '/v1/projects/:projectId/social/reconnect-links',
    {
      schema: {
        tags,
        summary: 'Create a reconnect link: a URL for the person that lives for days and starts the consent when clicked',
        params: projectIdParam,
        body: reconnectLinkBody,
        response: { 201: createdReconnectLinkSchema, ...errorResponses },
      },
      config: { access: { scope: 'social:write', endpointClass: 'oauth' } },
    },
    async (request, reply) => reply.status(201).send(await createReconnectLink(deps, principalOf(request), request.params.projectId, request.body)),
  );

  app.get(
    '/v1/social/reconnect-links/:linkId',
    {
      schema: { tags, summary: 'A reconnect link: status, clicks, the state of the latest click', params: linkParam, response: { 200: reconnectLinkSchema, ...errorResponses } },
      config: { access: { scope: 'social:read', endpointClass: 'read' } },
    },
    async (request) => readReconnectLink(deps.db, deps.clock, principalOf(request), request.params.linkId),
  );

  app.delete(
    '/v1/social/reconnect-links/:linkId',
    {
      schema: { tags, summary: 'Revoke a reconnect link', params: linkParam, response: { 200: reconnectLinkSchema, ...errorResponses } },
      config: { access: { scope: 'social:write', endpointClass: 'write' } },
    },
    async (request) => revokeReconnectLink(deps.db, deps.clock, principalOf(request), request.params.linkId),
  );

  app.get(
    `${RECONNECT_LINK_PATH}/:token`,
    {
      schema: {
        tags: ['OAuth callback'],
        summary: 'A reconnect link, clicked (browser-facing): on to the platform’s consent page, or a page saying why not',
        security: [],
        params: z.object({ token: z.string() }),
      },
      // The click starts a consent as the callback ends one: the two share a per-address budget.
      config: { unauthenticated: { addressClass: 'callback', errorPage: renderCallbackErrorPage } },
    },
    async (request, reply) => {
      const outcome = await clickReconnectLink(deps, request.params.token);
      reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
      if (outcome.type === 'redirect') return reply.redirect(outcome.location, 302);
      return reply.status(outcome.status).type('text/html; charset=utf-8').send(renderNoticePage(outcome.title, outcome.message));
    },
  );

  app.get(
    '/v1/projects/:projectId/social-accounts',
    {
      schema: {
        tags,
        summary: 'List a project’s social accounts, newest connection first',
        params: projectIdParam,
        querystring: listQuery,
        response: { 200: accountPage, ...errorResponses },
      },
      config: { access: { scope: 'social:read', endpointClass: 'read' } },
    },
    async (request, reply) => {
      const { organizationId } = principalOf(request);
      const { projectId } = request.params;
      const key = pageKey('social_accounts', organizationId, projectId, request.query);
      await deps.listedPages.serve(
        reply,
        key,
        () => accountPageVersion(deps.listVersions, deps.db, key, organizationId, projectId, request.query),
        () => listAccounts(deps.db, organizationId, projectId, request.query, deps.publicBaseUrl),
      );
    },
  );

  app.get(
    '/v1/social-accounts/:socialAccountId/health',
    {
      schema: {
        tags,
        summary: 'Token health; ?check=live verifies the credential with the platform first',
        params: accountParam,
        querystring: z.strictObject({ check: z.enum(['live']).optional() }),
        response: { 200: accountHealthSchema, ...errorResponses },
      },
      config: { access: { scope: 'social:read', endpointClass: 'read' } },
    },
    async (request) =>
      checkAccountHealth(deps, principalOf(request), request.params.socialAccountId, { live: request.query.check === 'live' }),
  );

  app.delete(
    '/v1/social-accounts/:socialAccountId',
    {
      schema: { tags, summary: 'Revoke an account (final)', params: accountParam, response: { 200: revokeResponseSchema, ...errorResponses } },
      config: { access: { scope: 'social:write', endpointClass: 'write' } },
    },
    async (request) => revokeAccount(deps, principalOf(request), request.params.socialAccountId, request.log),
  );

  app.get(
    '/oauth/callback/:platform',
    {
      schema: {
        tags: ['OAuth callback'],
        summary: 'Where the platform sends the person back (browser-facing)',
        security: [],
        params: z.object({ platform: z.string().max(32) }),
        querystring: callbackQuery,
      },
      config: { unauthenticated: { addressClass: 'callback', errorPage: renderCallbackErrorPage } },
    },
    async (request, reply) => {
      const outcome = await completeOAuthCallback(deps, request.params.platform, request.query);
      reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
      if (outcome.type === 'redirect') return reply.redirect(outcome.location, 302);
      return reply.status(outcome.status).type('text/html; charset=utf-8').send(renderCallbackErrorPage(outcome.message));
    },
  );
}
