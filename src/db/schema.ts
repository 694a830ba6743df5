import type { Generated } from 'kysely';
import type { PlatformId } from '../platforms/registry.ts';

/**
 * Row types for Kysely. Both engines store the same shapes: ids and timestamps as text
 * (ISO-8601 UTC, fixed width, so they sort), JSON as text, booleans as nullable timestamps
 * ("killed_at") or 0/1 integers.
 */
export interface Database {
  organizations: OrganizationsTable;
  projects: ProjectsTable;
  api_keys: ApiKeysTable;
  global_switches: GlobalSwitchesTable;
  idempotency_records: IdempotencyRecordsTable;
  audit_log: AuditLogTable;
  vault_data_keys: VaultDataKeysTable;
  vault_entries: VaultEntriesTable;
  media: MediaTable;
  social_accounts: SocialAccountsTable;
  oauth_states: OAuthStatesTable;
  reconnect_links: ReconnectLinksTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_events: WebhookEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  periodic_tasks: PeriodicTasksTable;
  content_containers: ContentContainersTable;
  content_assets: ContentAssetsTable;
  content_upload_files: ContentUploadFilesTable;
  content_review_policies: ContentReviewPoliciesTable;
  scheduled_posts: ScheduledPostsTable;
  pending_schedules: PendingSchedulesTable;
  auth_version: AuthVersionTable;
  /** SQLite only (migration 0014). */
  list_versions: ListVersionsTable;
  metric_accounts: MetricAccountsTable;
  metric_account_hours: MetricAccountHoursTable;
  metric_posts: MetricPostsTable;
  metric_post_hours: MetricPostHoursTable;
}

export interface OrganizationsTable {
  id: string;
  name: string;
  suspended_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface ProjectsTable {
  id: string;
  organization_id: string;
  name: string;
  status: 'active' | 'archived';
  timezone: string;
  customer_external_id: string | null;
  owner_email: string | null;
  primary_language: string;
  app_name: string | null;
  app_description: string | null;
  tagline: string | null;
  brand_voice: string | null;
  target_gender: string | null;
  /** JSON object, as the partner sent it. */
  metadata: string | null;
  created_at: string;
  updated_at: string;
}

export interface ApiKeysTable {
  id: string;
  organization_id: string;
  name: string | null;
  /** The public 16-character base32 part of the secret; safe to log. */
  lookup_id: string;
  env: 'live' | 'test';
  /** Keyed hash (HMAC-SHA256) of the whole secret; the secret itself is never stored. */
  secret_hash: string;
  /** JSON array of scope names. */
  scopes: string;
  /** JSON array of lower-case hostnames allowed as return URLs. */
  return_domains: string;
  tier: 'standard' | 'pilot' | 'partner' | 'internal';
  killed_at: string | null;
  retired_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface GlobalSwitchesTable {
  name: string;
  enabled: number;
  updated_at: string;
}

export interface IdempotencyRecordsTable {
  api_key_id: string;
  route: string;
  idempotency_key: string;
  request_hash: string;
  state: 'in_flight' | 'completed';
  response_status: number | null;
  /** JSON object of the response headers worth replaying (content-type). */
  response_headers: string | null;
  /** The response body, sealed by the vault (`<data key id>.<AES-GCM>`), bound to this record's key. */
  response_body: string | null;
  created_at: string;
  expires_at: string;
}

export interface AuditLogTable {
  id: string;
  at: string;
  request_id: string;
  api_key_id: string | null;
  organization_id: string | null;
  project_id: string | null;
  method: string;
  /** The route template (`/v1/projects/:projectId`), never the raw path. */
  route: string;
  status_code: number;
}

export interface VaultDataKeysTable {
  id: string;
  /** Fingerprint of the master key that wrapped this data key. */
  master_key_id: string;
  /** base64url(iv | tag | AES-256-GCM(master wrap key, data key)). */
  wrapped_key: string;
  created_at: string;
  updated_at: string;
}

export interface VaultEntriesTable {
  id: string;
  data_key_id: string;
  /** base64url(iv | tag | AES-256-GCM(data key, plaintext)), the entry id as associated data. */
  ciphertext: string;
  created_at: string;
  updated_at: string;
}

/** One stored object (an avatar, a content asset): its bytes live in the blob store under `storage_key`. */
export interface MediaTable {
  id: string;
  content_type: string;
  byte_length: number;
  /** Null only for a row written before the blob store existed, until the server moves its bytes. */
  storage_key: string | null;
  /** Bytes of such a row; null once moved. */
  data_base64: string | null;
  checksum_sha256: string | null;
  created_at: string;
}

/** A platform id of the registry (src/platforms/registry.ts). */
export type Platform = PlatformId;
export type SocialAccountStatus = 'connected' | 'reauth_required' | 'disconnected';
export type ReauthReason = 'token_revoked' | 'refresh_expired' | 'scopes_missing' | 'credential_invalid';

export interface SocialAccountsTable {
  id: string;
  organization_id: string;
  project_id: string;
  platform: Platform;
  /** 1 when connected through the bundled emulator (lp_test_ keys), 0 for the real platform. */
  sandbox: number;
  platform_user_id: string;
  handle: string;
  display_name: string | null;
  avatar_media_id: string | null;
  status: SocialAccountStatus;
  leased: number;
  /** JSON array of the scopes the person granted. */
  granted_scopes: string;
  /** The vault entry holding the account's tokens; null once revoked. */
  vault_entry_id: string | null;
  connected_at: string;
  access_token_expires_at: string | null;
  refresh_token_expires_at: string | null;
  last_refreshed_at: string | null;
  next_refresh_at: string | null;
  consecutive_failures: number;
  last_error_code: string | null;
  last_error_message: string | null;
  last_error_at: string | null;
  reauth_required_at: string | null;
  reauth_reason: ReauthReason | null;
  disconnected_at: string | null;
  disconnected_reason: string | null;
  /** While set and in the future, one process holds the right to refresh this account. */
  refresh_lease_until: string | null;
  created_at: string;
  updated_at: string;
}

export type OAuthStateStatus = 'pending' | 'processing' | 'completed' | 'failed';

export interface OAuthStatesTable {
  id: string;
  api_key_id: string;
  organization_id: string;
  project_id: string;
  kind: 'connect' | 'reauth';
  platform: Platform;
  sandbox: number;
  /** Set from the start for reauth; set on completion for connect. */
  social_account_id: string | null;
  return_url: string;
  requested_scopes: string;
  usage_note: string | null;
  /**
   * The PKCE code verifier, sealed by the vault (`<data key id>.<AES-GCM>`) and bound to this state's
   * id; cleared once the state is used.
   */
  sealed_code_verifier: string | null;
  /** A vault entry holding the verifier: states minted before migration 0015 only; destroyed once used. */
  verifier_entry_id: string | null;
  status: OAuthStateStatus;
  error_code: string | null;
  error_message: string | null;
  created_at: string;
  expires_at: string;
  completed_at: string | null;
  updated_at: string;
  /** The reconnect link whose click minted this state; its completion marks the link used. */
  reconnect_link_id: string | null;
}

/** `expired` is not stored: an `active` link past `expires_at` reads expired. */
export type ReconnectLinkStatus = 'active' | 'used' | 'revoked';

export interface ReconnectLinksTable {
  id: string;
  /** HMAC of the link's token (purpose `reconnect-link-hash`); the token itself is never stored. */
  token_hash: string;
  organization_id: string;
  project_id: string;
  /** The key that created the link: every state a click mints is attributed to it. */
  api_key_id: string;
  kind: 'connect' | 'reauth';
  platform: Platform;
  /** Set from the start for reauth; for connect, the account its completion created or reconnected. */
  social_account_id: string | null;
  return_url: string;
  /** JSON array as the partner sent it, or null: the defaults are worked out at each click. */
  requested_scopes: string | null;
  usage_note: string | null;
  status: ReconnectLinkStatus;
  clicks: number;
  last_state: string | null;
  expires_at: string;
  used_at: string | null;
  revoked_at: string | null;
  created_at: string;
  updated_at: string;
}

export type WebhookEndpointStatus = 'active' | 'paused' | 'auto_paused';

export interface WebhookEndpointsTable {
  id: string;
  organization_id: string;
  /** When set, the endpoint receives only this project's events. */
  project_id: string | null;
  url: string;
  description: string | null;
  /** JSON array of subscribed event types. */
  events: string;
  status: WebhookEndpointStatus;
  /** Vault entry with the signing secrets (current, and the previous one during rotation). */
  secret_entry_id: string;
  consecutive_failures: number;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

export interface WebhookEventsTable {
  id: string;
  organization_id: string;
  project_id: string | null;
  type: string;
  /** The exact JSON body every delivery of this event sends. */
  payload: string;
  replay_of: string | null;
  created_at: string;
}

export type WebhookDeliveryStatus = 'pending' | 'succeeded' | 'failed' | 'abandoned' | 'canceled';

export interface WebhookDeliveriesTable {
  id: string;
  organization_id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  next_attempt_at: string | null;
  last_attempt_at: string | null;
  last_response_status: number | null;
  /** The endpoint's answer, truncated. */
  last_response_body: string | null;
  last_error: string | null;
  /** While in the future, one worker owns this delivery's current attempt. */
  locked_until: string | null;
  created_at: string;
  updated_at: string;
}

/** One row per periodic background task (housekeeping, …); its lease makes one process run it at a time. */
export interface PeriodicTasksTable {
  /** The task's name, e.g. `housekeeping`. */
  id: string;
  next_run_at: string;
  locked_until: string | null;
  last_run_at: string | null;
  last_error: string | null;
}

export type ContainerStatus = 'queued' | 'completed' | 'failed' | 'canceled';
export type ApprovalStatus = 'not_required' | 'pending' | 'approved' | 'rejected';

export interface ContentContainersTable {
  id: string;
  organization_id: string;
  project_id: string;
  status: ContainerStatus;
  caption: string;
  approval_status: ApprovalStatus;
  /** The approver's note or the rejection reason. */
  review_note: string | null;
  reviewed_at: string | null;
  /** JSON `{ code, message, at }` of the failure that ended a direct upload. */
  last_error: string | null;
  created_at: string;
  completed_at: string | null;
  updated_at: string;
}

export interface ContentAssetsTable {
  id: string;
  container_id: string;
  position: number;
  kind: 'video' | 'image';
  /** The `media` row (and so the blob) holding the bytes. */
  media_id: string;
  mime_type: string;
  size_bytes: number;
  checksum_sha256: string;
  width: number;
  height: number;
  duration_ms: number | null;
  frame_rate: number | null;
  /** ffprobe's codec name of a video stream (`h264`, `hevc`, …). */
  video_codec: string | null;
  created_at: string;
}

/** `pending` until a PUT to this server delivered every byte (`received`); `consumed` once finalized. */
export type UploadFileState = 'pending' | 'receiving' | 'received' | 'consumed';

export interface ContentUploadFilesTable {
  id: string;
  container_id: string;
  position: number;
  filename: string;
  content_type: string;
  size_bytes: number;
  /** SHA-256 of the upload URL's token; the token itself is never stored. */
  token_hash: string;
  /** Where the PUT puts the bytes, until finalize moves them to the asset's own key. */
  staging_key: string;
  state: UploadFileState;
  expires_at: string;
  received_at: string | null;
  /** When the 24-hour sweep removed whatever was left under `staging_key`. */
  swept_at: string | null;
  created_at: string;
}

export type ReviewPolicy = 'auto_approve' | 'review_first_n' | 'review_all';

export interface ContentReviewPoliciesTable {
  project_id: string;
  policy: ReviewPolicy;
  first_n: number | null;
  updated_at: string;
}

export type ScheduledPostStatus = 'queued' | 'publishing' | 'published' | 'draft' | 'failed' | 'canceled';
export type PostErrorCode = 'CREDENTIAL_INVALID' | 'PLATFORM_ERROR' | 'MEDIA_REJECTED' | 'PUBLISH_UNCERTAIN' | 'RATE_LIMITED';

/** One target of a schedule or publish request; also the publisher's work item (docs/design/jobs.md). */
export interface ScheduledPostsTable {
  id: string;
  organization_id: string;
  project_id: string;
  container_id: string;
  social_account_id: string;
  platform: Platform;
  mode: 'publish' | 'draft';
  status: ScheduledPostStatus;
  scheduled_for: string;
  /** The caption at creation (the target's override, else the container's); later caption edits do not reach it. */
  caption: string;
  first_comment: string | null;
  /** JSON object of the target's platform-specific fields, by their API names. */
  settings: string;
  external_id: string | null;
  external_url: string | null;
  /** Failed attempts so far (transient failures are retried with backoff). */
  attempts: number;
  /** When the publisher next works the post; null once it is final or while it is held. */
  next_attempt_at: string | null;
  attempted_at: string | null;
  published_at: string | null;
  canceled_at: string | null;
  cancel_reason: string | null;
  /** Set while the post waits for its account's reauth (the hold's reason is always CREDENTIAL_INVALID). */
  hold_since: string | null;
  hold_until: string | null;
  last_error_code: PostErrorCode | null;
  last_error_message: string | null;
  last_error_platform_code: string | null;
  last_error_at: string | null;
  /** JSON PublishState: the platform steps reached, with their ids (src/platforms/publishing.ts). */
  publish_state: string | null;
  /** What did not go as asked without undoing a published post (e.g. a first comment not posted). */
  publish_warning: string | null;
  /** The publisher's lease (docs/design/jobs.md). */
  locked_until: string | null;
  /**
   * 1 while the post is queued behind another post of its account that is `publishing`: out of the
   * claim's index. Written 0 when the post is created; triggers keep it (migration 0019).
   */
  behind_publishing: number;
  created_at: string;
  updated_at: string;
}

/** A schedule request kept until its container is approved (then its posts are created) or rejected (dropped). */
export interface PendingSchedulesTable {
  id: string;
  organization_id: string;
  project_id: string;
  container_id: string;
  scheduled_for: string;
  /** JSON array of the request's targets, as sent. */
  targets: string;
  created_at: string;
}

/** One row whose version every change to api_keys, organizations or global_switches moves (by triggers). */
export interface AuthVersionTable {
  id: number;
  version: number;
}

/**
 * SQLite only: per project, a version of each cached list that triggers move on every change of its
 * rows (migration 0014, src/db/list-versions.ts).
 */
export interface ListVersionsTable {
  project_id: string;
  social_accounts: Generated<number>;
  scheduled_posts: Generated<number>;
}

/**
 * Counters as stored for metrics (docs/design/metrics-storage.md). Postgres returns bigint columns
 * and sums as strings, SQLite as numbers: readers convert with Number().
 */
type StoredCount = number | string | null;

/** A synced account: its place in the metrics sync queue and the last follower count read. */
export interface MetricAccountsTable {
  /** The social account's id. */
  id: string;
  next_sync_at: string;
  /** The sync's lease (docs/design/jobs.md). */
  locked_until: string | null;
  last_synced_at: string | null;
  last_error: string | null;
  followers: StoredCount;
}

/** One synced hour of an account; `hour` counts UTC hours since 1970. A counter column is null when not measured that hour. */
export interface MetricAccountHoursTable {
  social_account_id: string;
  hour: number;
  followers: StoredCount;
  follower_delta: StoredCount;
  views: StoredCount;
  reach: StoredCount;
  likes: StoredCount;
  comments: StoredCount;
  shares: StoredCount;
  saves: StoredCount;
}

/** A measured post: its series number, when it was first measured, and its last cumulative counters. */
export interface MetricPostsTable {
  series: Generated<number>;
  scheduled_post_id: string;
  /** The UTC hour (since 1970) of the sync that first read its counters. */
  first_hour: number;
  views: StoredCount;
  reach: StoredCount;
  likes: StoredCount;
  comments: StoredCount;
  shares: StoredCount;
  saves: StoredCount;
}

/** An hour in which a post's counters moved, with the deltas. */
export interface MetricPostHoursTable {
  series: number;
  hour: number;
  views: StoredCount;
  reach: StoredCount;
  likes: StoredCount;
  comments: StoredCount;
  shares: StoredCount;
  saves: StoredCount;
}
