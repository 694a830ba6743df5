import type { components, operations } from './generated/openapi.ts';

/**
 * Argument and result types of each operation, read from the generated `operations` (named by the
 * operationIds of /openapi.json). A method takes its path parameters, query parameters and body
 * fields in one object, as the API reference's samples show them.
 */
export type OperationId = keyof operations;

type Defined<T> = [T] extends [undefined] ? {} : NonNullable<T>;
/** Query flags the API spells "true" | "false" also take booleans. */
type LooseBooleans<T> = { [K in keyof T]: T[K] extends 'true' | 'false' | undefined ? T[K] | boolean : T[K] };

export type PathParams<O extends OperationId> = Defined<operations[O]['parameters']['path']>;
export type QueryParams<O extends OperationId> = LooseBooleans<Defined<operations[O]['parameters']['query']>>;
export type JsonBody<O extends OperationId> = operations[O] extends { requestBody: { content: { 'application/json': infer B } } } ? B : {};
export type Params<O extends OperationId> = PathParams<O> & QueryParams<O> & JsonBody<O>;

type SuccessCode<O extends OperationId> = Extract<keyof operations[O]['responses'], 200 | 201 | 202>;
export type Result<O extends OperationId> = operations[O]['responses'][SuccessCode<O>] extends { content: { 'application/json': infer R } } ? R : never;

type Schemas = components['schemas'];
export type Whoami = Schemas['Whoami'];
export type ApiKey = Schemas['ApiKey'];
export type Project = Schemas['Project'];
export type AuthorizeUrl = Schemas['AuthorizeUrl'];
export type OAuthStatus = Schemas['OAuthStatus'];
export type SocialAccount = Schemas['SocialAccount'];
export type SocialAccountHealth = Schemas['SocialAccountHealth'];
export type RevokedSocialAccount = Schemas['RevokedSocialAccount'];
export type WebhookEndpoint = Schemas['WebhookEndpoint'];
export type WebhookEndpointWithSecret = Schemas['WebhookEndpointWithSecret'];
export type WebhookDelivery = Schemas['WebhookDelivery'];
export type ContentContainer = Schemas['ContentContainer'];
export type ContentAsset = Schemas['ContentAsset'];
export type ContentUploadSession = Schemas['ContentUploadSession'];
export type ContentReviewPolicy = Schemas['ContentReviewPolicy'];
export type ScheduledPost = Schemas['ScheduledPost'];
export type MetricsSeries = Schemas['MetricsSeries'];
export type TopPerformers = Schemas['TopPerformers'];
