import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import type { OAuthStatesTable, Platform, SocialAccountsTable } from '../../src/db/schema.ts';
import type { PlatformId } from '../../src/platforms/registry.ts';
import { consent, followToCallback, runConnect } from '../support/consent.ts';
import type { ConsentChoice } from '../emulator/consent-driver.ts';
import type { TestContext, Tenant } from '../support/test-app.ts';

export const RETURN_URL = 'https://app.example.com/connected';
export const REQUEST_ID = /^req_[0-9A-HJKMNP-TV-Z]{26}$/;
export const STATE_ID = /^st_[0-9A-HJKMNP-TV-Z]{26}$/;
const MINUTE = 60_000;

let counter = 0;
/** A username no other test of this process uses (emulator usernames: [a-z0-9._]{1,30}). */
export function uniqueUser(prefix: string): string {
  counter += 1;
  return `${prefix.slice(0, 18)}_${process.pid % 1000}_${counter}`.toLowerCase();
}

/**
 * Asserts the §3 error envelope with this status and code, `requestId` = `X-Request-Id`, no stack
 * trace, nothing but the documented fields. Returns `details` (or `{}`).
 */
export function expectError(res: LightMyRequestResponse, status: number, code: string): Record<string, unknown> {
  assert.equal(res.statusCode, status, `expected ${status} ${code}, got ${res.statusCode}: ${res.body}`);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  const body = res.json() as { error: { code: string; message: string; requestId: string; details?: Record<string, unknown> } };
  assert.deepEqual(Object.keys(body), ['error']);
  assert.equal(body.error.code, code, res.body);
  assert.ok(typeof body.error.message === 'string' && body.error.message.length > 0);
  assert.match(body.error.requestId, REQUEST_ID);
  assert.equal(res.headers['x-request-id'], body.error.requestId);
  for (const field of Object.keys(body.error)) assert.ok(['code', 'message', 'requestId', 'details'].includes(field), `unexpected error field ${field}`);
  assert.doesNotMatch(res.body, /\n\s+at /, 'no stack trace');
  return body.error.details ?? {};
}

/** A 422 VALIDATION; returns the issue paths (each issue checked for `{ path, code, message }`). */
export function expectIssuePaths(res: LightMyRequestResponse): string[] {
  const details = expectError(res, 422, 'VALIDATION');
  const issues = details['issues'] as Array<{ path: unknown; code: unknown; message: unknown }>;
  assert.ok(Array.isArray(issues) && issues.length > 0, 'details.issues[] lists the failures');
  for (const issue of issues) {
    assert.equal(typeof issue.path, 'string');
    assert.equal(typeof issue.code, 'string');
    assert.equal(typeof issue.message, 'string');
  }
  return issues.map((issue) => issue.path as string);
}

export async function newProject(ctx: TestContext, secret: string, name = 'Creator app'): Promise<string> {
  const res = await ctx.call({ method: 'POST', url: '/v1/projects', key: secret, body: { name, timezone: 'UTC' } });
  assert.equal(res.statusCode, 201, res.body);
  return (res.json() as { id: string }).id;
}

/** The emulator's `/_control` API. */
export async function control(ctx: TestContext, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<any> {
  assert.ok(ctx.emulatorUrl, 'the context needs { emulator: true }');
  const res = await fetch(`${ctx.emulatorUrl}/_control${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await res.text();
  assert.ok(res.status < 300, `control ${method} ${path} answered ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

export interface LoggedRequest {
  platform: string;
  method: string;
  path: string;
  grantType?: string;
}

export async function emulatorRequests(ctx: TestContext): Promise<LoggedRequest[]> {
  return ((await control(ctx, 'GET', '/requests')) as { requests: LoggedRequest[] }).requests;
}

export async function countGrants(ctx: TestContext, platform: PlatformId, grantType: string): Promise<number> {
  return (await emulatorRequests(ctx)).filter((r) => r.platform === platform && r.grantType === grantType).length;
}

export function addFault(
  ctx: TestContext,
  fault: { platform: PlatformId; endpoint: string; status: number; times?: number; body?: unknown },
): Promise<unknown> {
  return control(ctx, 'POST', '/faults', fault);
}

export async function mintConnect(
  ctx: TestContext,
  secret: string,
  projectId: string,
  platform: PlatformId,
  returnUrl = RETURN_URL,
): Promise<{ authorizeUrl: string; state: string; expiresAt: string }> {
  const res = await ctx.call({ method: 'POST', url: `/v1/projects/${projectId}/social/oauth-url`, key: secret, body: { platform, returnUrl } });
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
}

export async function mintReauth(
  ctx: TestContext,
  secret: string,
  projectId: string,
  socialAccountId: string,
  returnUrl = RETURN_URL,
): Promise<{ authorizeUrl: string; state: string; expiresAt: string }> {
  const res = await ctx.call({
    method: 'POST',
    url: `/v1/projects/${projectId}/social/reauth-url`,
    key: secret,
    body: { socialAccountId, returnUrl },
  });
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
}

/** oauth-url → consent → callback, asserting success; returns the new account id. */
export async function connectAccount(
  ctx: TestContext,
  tenant: Tenant,
  projectId: string,
  platform: PlatformId,
  username: string,
): Promise<string> {
  const { callback, state, returnUrl } = await runConnect(ctx, { secret: tenant.secret, projectId, platform }, { username });
  assert.equal(callback.statusCode, 302, callback.body);
  assert.equal(callback.headers.location, returnUrl);
  const status = await oauthStatus(ctx, tenant.secret, state);
  assert.equal(status.status, 'completed', JSON.stringify(status));
  return status.socialAccountId as string;
}

/** reauth-url → consent → callback; returns the callback response and the state. */
export async function runReauth(
  ctx: TestContext,
  secret: string,
  projectId: string,
  socialAccountId: string,
  choice: ConsentChoice,
  returnUrl = RETURN_URL,
): Promise<{ callback: LightMyRequestResponse; state: string }> {
  const minted = await mintReauth(ctx, secret, projectId, socialAccountId, returnUrl);
  const callback = await followToCallback(ctx, await consent(minted.authorizeUrl, choice));
  return { callback, state: minted.state };
}

export async function oauthStatus(ctx: TestContext, secret: string, state: string): Promise<Record<string, any>> {
  const res = await ctx.call({ method: 'GET', url: `/v1/social/oauth-status/${state}`, key: secret });
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
}

export async function health(ctx: TestContext, secret: string, socialAccountId: string, live = false): Promise<Record<string, any>> {
  const res = await ctx.call({ method: 'GET', url: `/v1/social-accounts/${socialAccountId}/health${live ? '?check=live' : ''}`, key: secret });
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
}

export function accountRow(ctx: TestContext, id: string): Promise<SocialAccountsTable> {
  return ctx.database.db.selectFrom('social_accounts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

export function stateRow(ctx: TestContext, id: string): Promise<OAuthStatesTable> {
  return ctx.database.db.selectFrom('oauth_states').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

export async function countAccounts(ctx: TestContext, projectId: string): Promise<number> {
  const row = await ctx.database.db
    .selectFrom('social_accounts')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('project_id', '=', projectId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** An account row written straight into the database (for states the API cannot produce, e.g. another platform). */
export async function insertAccount(
  ctx: TestContext,
  fields: { organizationId: string; projectId: string; platform: string } & Partial<Omit<SocialAccountsTable, 'platform'>>,
): Promise<string> {
  const { organizationId, projectId, platform, ...rest } = fields;
  const now = ctx.clock.now().toISOString();
  const id = `sa_${randomUUID()}`;
  await ctx.database.db
    .insertInto('social_accounts')
    .values({
      id,
      organization_id: organizationId,
      project_id: projectId,
      platform: platform as Platform,
      sandbox: 1,
      platform_user_id: `u${randomUUID()}`,
      handle: 'inserted',
      display_name: null,
      avatar_media_id: null,
      status: 'connected',
      leased: 0,
      granted_scopes: '[]',
      vault_entry_id: null,
      connected_at: now,
      access_token_expires_at: null,
      refresh_token_expires_at: null,
      last_refreshed_at: null,
      next_refresh_at: null,
      consecutive_failures: 0,
      last_error_code: null,
      last_error_message: null,
      last_error_at: null,
      reauth_required_at: null,
      reauth_reason: null,
      disconnected_at: null,
      disconnected_reason: null,
      refresh_lease_until: null,
      created_at: now,
      updated_at: now,
      ...rest,
    })
    .execute();
  return id;
}

/** The returnUrl with `layers_oauth_error=<code>` added, as a browser would see it. */
export function expectErrorRedirect(res: LightMyRequestResponse, returnUrl: string, code: string): void {
  assert.equal(res.statusCode, 302, res.body);
  const location = new URL(String(res.headers.location));
  const expected = new URL(returnUrl);
  assert.equal(`${location.origin}${location.pathname}`, `${expected.origin}${expected.pathname}`);
  assert.equal(location.searchParams.get('layers_oauth_error'), code, String(res.headers.location));
  for (const [name, value] of expected.searchParams) assert.equal(location.searchParams.get(name), value, `keeps ${name}`);
  assert.equal([...location.searchParams.keys()].length, [...expected.searchParams.keys()].length + 1, 'adds only layers_oauth_error');
}

export { MINUTE };
