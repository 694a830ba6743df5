export { Layers } from './layers.ts';
export { LayersError } from './errors.ts';
export { verifyWebhookSignature, type VerifyOptions } from './webhook-signature.ts';
export { PageRequest, type Page } from './pagination.ts';
export type { LayersOptions, RequestOptions } from './http.ts';
export type { WaitForOAuthOptions } from './resources/social.ts';
export type { UploadFile, UploadParams } from './resources/content.ts';
export type {
  ApiKey,
  AuthorizeUrl,
  ContentAsset,
  ContentContainer,
  ContentReviewPolicy,
  ContentUploadSession,
  MetricsSeries,
  OAuthStatus,
  OperationId,
  Params,
  Project,
  Result,
  ScheduledPost,
  RevokedSocialAccount,
  SocialAccount,
  SocialAccountHealth,
  TopPerformers,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEndpointWithSecret,
  Whoami,
} from './operations.ts';
export type { components, operations, paths } from './generated/openapi.ts';
