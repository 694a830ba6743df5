import { REAUTH_ELIGIBLE } from '../platforms/registry.ts';
/**
 * The one source of the SDK surface as the API reference shows it: for each `/v1` route, the
 * operationId it carries in `/openapi.json`, the TypeScript SDK method that calls it (the Python
 * SDK's name is the same path in snake_case) and the example arguments from which its curl,
 * TypeScript and Python samples are rendered (`code-samples.ts`). A new route adds one row here and
 * one thin method per SDK (docs/sdks.md, "Adding a route").
 *
 * `example` holds the route's path parameters, query parameters and body fields in one object, the
 * way the SDK methods take them.
 */
export interface SdkOperation {
  operationId: string;
  /** Dotted path from the client object, e.g. `social.createReauthUrl` for `layers.social.createReauthUrl`. */
  method: string;
  example: Record<string, unknown>;
}

const PROJECT = 'prj_254a4ce1-f4ca-42b1-9e36-17ca45ef3d39';
const ACCOUNT = 'sa_9c1e42a0-b7f3-4e5d-a2c1-8b4f5e6c7d8e';
const KEY = 'key_3b9e6a2f-5c1d-4e8a-9f0b-7d2c4e6a8b1c';
const ENDPOINT = 'we_5d7f1a3c-8e2b-4c6d-9a0f-1b3e5c7d9f2a';
const DELIVERY = 'wd_0e4a6c8b-2d1f-4a3e-8b5c-7f9d1e3a5c6b';
/** The examples' platform: one whose accounts reauth-url can reconnect. */
const EXAMPLE_PLATFORM = REAUTH_ELIGIBLE[0] as string;
const RECONNECT_LINK = 'rl_7c2e4a6f-1b3d-4f5a-9c8e-0d2f4b6a8c1e';
const CONTAINER = 'cnt_6a1f3c5e-7b9d-4e2f-8a0c-2d4f6b8e0a1c';
const POST = 'sp_2c4e6a8b-0d1f-4a3c-9e5b-7d9f1b3d5e7a';

/** Keyed by `METHOD /path` as the OpenAPI document spells it (`{param}` placeholders). */
export const SDK_OPERATIONS: Readonly<Record<string, SdkOperation>> = {
  'GET /v1/whoami': { operationId: 'whoami', method: 'whoami', example: {} },
  'POST /v1/api-keys/{keyId}/kill': { operationId: 'killApiKey', method: 'apiKeys.kill', example: { keyId: KEY } },
  'DELETE /v1/api-keys/{keyId}': { operationId: 'retireApiKey', method: 'apiKeys.retire', example: { keyId: KEY } },

  'POST /v1/projects': {
    operationId: 'createProject',
    method: 'projects.create',
    example: { name: 'Acme Fitness', timezone: 'America/New_York', customerExternalId: 'cus_8841' },
  },
  'GET /v1/projects': { operationId: 'listProjects', method: 'projects.list', example: { search: 'acme' } },
  'GET /v1/projects/{projectId}': { operationId: 'getProject', method: 'projects.get', example: { projectId: PROJECT } },
  'PATCH /v1/projects/{projectId}': {
    operationId: 'updateProject',
    method: 'projects.update',
    example: { projectId: PROJECT, name: 'Acme Fitness Pro' },
  },
  'DELETE /v1/projects/{projectId}': { operationId: 'archiveProject', method: 'projects.archive', example: { projectId: PROJECT } },

  'POST /v1/projects/{projectId}/social/oauth-url': {
    operationId: 'createOAuthUrl',
    method: 'social.createOAuthUrl',
    example: { projectId: PROJECT, platform: EXAMPLE_PLATFORM, returnUrl: `https://app.example.com/connect/${EXAMPLE_PLATFORM}/return` },
  },
  'POST /v1/projects/{projectId}/social/reauth-url': {
    operationId: 'createReauthUrl',
    method: 'social.createReauthUrl',
    example: { projectId: PROJECT, socialAccountId: ACCOUNT, returnUrl: `https://app.example.com/reconnect/${EXAMPLE_PLATFORM}/return` },
  },
  'GET /v1/social/oauth-status/{state}': {
    operationId: 'getOAuthStatus',
    method: 'social.getOAuthStatus',
    example: { state: 'st_01HXZB4P9K2M3N4P5QRS6TVW7X' },
  },
  'GET /v1/projects/{projectId}/social-accounts': {
    operationId: 'listSocialAccounts',
    method: 'social.listAccounts',
    example: { projectId: PROJECT, status: 'reauth_required' },
  },
  'GET /v1/social-accounts/{socialAccountId}/health': {
    operationId: 'getSocialAccountHealth',
    method: 'social.getHealth',
    example: { socialAccountId: ACCOUNT, check: 'live' },
  },
  'DELETE /v1/social-accounts/{socialAccountId}': {
    operationId: 'revokeSocialAccount',
    method: 'social.revoke',
    example: { socialAccountId: ACCOUNT },
  },
  'POST /v1/projects/{projectId}/social/reconnect-links': {
    operationId: 'createReconnectLink',
    method: 'social.createReconnectLink',
    example: { projectId: PROJECT, socialAccountId: ACCOUNT, returnUrl: `https://app.example.com/reconnect/${EXAMPLE_PLATFORM}/return`, expiresInSeconds: 604800 },
  },
  'GET /v1/social/reconnect-links/{linkId}': {
    operationId: 'getReconnectLink',
    method: 'social.getReconnectLink',
    example: { linkId: RECONNECT_LINK },
  },
  'DELETE /v1/social/reconnect-links/{linkId}': {
    operationId: 'revokeReconnectLink',
    method: 'social.revokeReconnectLink',
    example: { linkId: RECONNECT_LINK },
  },

  'POST /v1/webhook-endpoints': {
    operationId: 'createWebhookEndpoint',
    method: 'webhooks.endpoints.create',
    example: { url: 'https://app.example.com/webhooks/layers', events: ['social_account.needs_reauth', 'social_account.connected'] },
  },
  'GET /v1/webhook-endpoints': { operationId: 'listWebhookEndpoints', method: 'webhooks.endpoints.list', example: {} },
  'GET /v1/webhook-endpoints/{endpointId}': {
    operationId: 'getWebhookEndpoint',
    method: 'webhooks.endpoints.get',
    example: { endpointId: ENDPOINT },
  },
  'PATCH /v1/webhook-endpoints/{endpointId}': {
    operationId: 'updateWebhookEndpoint',
    method: 'webhooks.endpoints.update',
    example: { endpointId: ENDPOINT, status: 'active' },
  },
  'DELETE /v1/webhook-endpoints/{endpointId}': {
    operationId: 'deleteWebhookEndpoint',
    method: 'webhooks.endpoints.delete',
    example: { endpointId: ENDPOINT },
  },
  'POST /v1/webhook-endpoints/{endpointId}/test': {
    operationId: 'testWebhookEndpoint',
    method: 'webhooks.endpoints.test',
    example: { endpointId: ENDPOINT },
  },
  'POST /v1/webhook-endpoints/{endpointId}/rotate-secret': {
    operationId: 'rotateWebhookSecret',
    method: 'webhooks.endpoints.rotateSecret',
    example: { endpointId: ENDPOINT },
  },
  'GET /v1/webhook-endpoints/{endpointId}/deliveries': {
    operationId: 'listWebhookDeliveries',
    method: 'webhooks.deliveries.list',
    example: { endpointId: ENDPOINT, status: 'failed' },
  },
  'POST /v1/webhook-deliveries/{deliveryId}/replay': {
    operationId: 'replayWebhookDelivery',
    method: 'webhooks.deliveries.replay',
    example: { deliveryId: DELIVERY },
  },

  'POST /v1/projects/{projectId}/content/upload': {
    operationId: 'uploadContentFromUrl',
    method: 'content.uploadFromUrl',
    example: { projectId: PROJECT, media: [{ url: 'https://cdn.example.com/videos/launch.mp4' }], caption: 'Launch day' },
  },
  'POST /v1/projects/{projectId}/content/uploads': {
    operationId: 'createContentUpload',
    method: 'content.createUpload',
    example: { projectId: PROJECT, files: [{ filename: 'launch.mp4', contentType: 'video/mp4', sizeBytes: 18_350_912 }], grouping: 'per-file' },
  },
  'POST /v1/content/{containerId}/finalize-upload': {
    operationId: 'finalizeContentUpload',
    method: 'content.finalizeUpload',
    example: { containerId: CONTAINER, caption: 'Launch day' },
  },
  'GET /v1/content/{containerId}': { operationId: 'getContent', method: 'content.get', example: { containerId: CONTAINER } },
  'GET /v1/projects/{projectId}/content': { operationId: 'listContent', method: 'content.list', example: { projectId: PROJECT, status: ['completed'] } },
  'PATCH /v1/content/{containerId}': {
    operationId: 'updateContentCaption',
    method: 'content.updateCaption',
    example: { containerId: CONTAINER, caption: 'Launch day, take two' },
  },
  'DELETE /v1/content/{containerId}': { operationId: 'deleteContent', method: 'content.delete', example: { containerId: CONTAINER } },
  'POST /v1/content/{containerId}/approve': { operationId: 'approveContent', method: 'content.approve', example: { containerId: CONTAINER, note: 'On brand' } },
  'POST /v1/content/{containerId}/reject': { operationId: 'rejectContent', method: 'content.reject', example: { containerId: CONTAINER, reason: 'Off brand' } },
  'GET /v1/projects/{projectId}/content-review-policy': {
    operationId: 'getContentReviewPolicy',
    method: 'content.getReviewPolicy',
    example: { projectId: PROJECT },
  },
  'PATCH /v1/projects/{projectId}/content-review-policy': {
    operationId: 'updateContentReviewPolicy',
    method: 'content.updateReviewPolicy',
    example: { projectId: PROJECT, policy: 'review_first_n', firstN: 5 },
  },

  'POST /v1/content/{containerId}/publish': {
    operationId: 'publishContent',
    method: 'publishing.publishNow',
    example: { containerId: CONTAINER, targets: [{ socialAccountId: ACCOUNT, mode: 'publish' }] },
  },
  'POST /v1/content/{containerId}/schedule': {
    operationId: 'scheduleContent',
    method: 'publishing.schedule',
    example: { containerId: CONTAINER, scheduledFor: '2030-06-01T17:00:00Z', targets: [{ socialAccountId: ACCOUNT, mode: 'publish', captionOverride: 'Launch day!' }] },
  },
  'GET /v1/scheduled-posts/{scheduledPostId}': { operationId: 'getScheduledPost', method: 'publishing.getScheduledPost', example: { scheduledPostId: POST } },
  'GET /v1/projects/{projectId}/scheduled-posts': {
    operationId: 'listScheduledPosts',
    method: 'publishing.listScheduledPosts',
    example: { projectId: PROJECT, status: ['queued', 'failed'] },
  },
  'POST /v1/scheduled-posts/{scheduledPostId}/reschedule': {
    operationId: 'reschedulePost',
    method: 'publishing.reschedule',
    example: { scheduledPostId: POST, scheduledFor: '2030-06-02T17:00:00Z' },
  },
  'DELETE /v1/scheduled-posts/{scheduledPostId}': {
    operationId: 'cancelScheduledPost',
    method: 'publishing.cancel',
    example: { scheduledPostId: POST, reason: 'Campaign moved' },
  },

  'GET /v1/projects/{projectId}/metrics': {
    operationId: 'getMetrics',
    method: 'metrics.get',
    example: { projectId: PROJECT, scope: 'social_account', id: ACCOUNT, metrics: ['views', 'followers'], granularity: 'day' },
  },
  'GET /v1/projects/{projectId}/top-performers': {
    operationId: 'getTopPerformers',
    method: 'metrics.topPerformers',
    example: { projectId: PROJECT, metric: 'engagement_rate', window: '7d' },
  },
};
