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
  route: string;
  status_code: number;
}
