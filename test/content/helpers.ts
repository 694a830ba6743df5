import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import type { Engine } from '../../src/db/database.ts';
import type { BlobBackend } from '../support/blob-backends.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';

export interface ContentContext extends TestContext {
  tenantOf: Tenant;
  projectId: string;
}

/** A context on `engine` and `backend` with one tenant and one project; the clock starts now (S3 checks presigned URLs against real time). */
export async function contentContext(engine: Engine, backend: BlobBackend): Promise<ContentContext> {
  const ctx = await createTestContext(engine, { blobBackend: backend, clockStart: new Date() });
  const tenantOf = await ctx.tenant();
  const project = await ctx.call({ method: 'POST', url: '/v1/projects', key: tenantOf.secret, body: { name: 'Content tests', timezone: 'UTC' } });
  assert.equal(project.statusCode, 201, project.body);
  return Object.assign(ctx, { tenantOf, projectId: (project.json() as { id: string }).id });
}

export interface Asset {
  assetId: string;
  kind: string;
  url: string;
  mimeType: string;
  sizeBytes: number;
  checksumSha256: string;
  width: number;
  height: number;
  durationMs: number | null;
  frameRate: number | null;
}

export interface FitIssue {
  code: string;
  message: string;
}

export interface Container {
  id: string;
  projectId: string;
  status: string;
  caption: string;
  approvalStatus: string;
  assets: Asset[];
  platformFit: Record<string, { publishable: boolean; problems: FitIssue[]; warnings: FitIssue[] }>;
  completedAt: string | null;
  lastError: { code: string; message: string } | null;
}

export interface UploadFile {
  fileId: string;
  contentType: string;
  sizeBytes: number;
  uploadUrl: string;
  uploadMethod: string;
  uploadHeaders: Record<string, string>;
  expiresAt: string;
}

export interface UploadSession {
  items: { containerId: string; files: UploadFile[] }[];
}

/** The path of one of this server's URLs (asset and upload URLs carry PUBLIC_BASE_URL). */
export function pathOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}

/**
 * PUTs bytes to an upload URL the way a partner would: to this server (by inject) for the
 * filesystem store, or over the network to the presigned object-store URL.
 */
export async function putUpload(
  ctx: ContentContext,
  file: Pick<UploadFile, 'uploadUrl' | 'uploadHeaders'>,
  body: Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const all = { ...file.uploadHeaders, ...headers };
  if (file.uploadUrl.startsWith(ctx.publicBaseUrl)) {
    const res = await ctx.app.inject({ method: 'PUT', url: pathOf(file.uploadUrl), headers: { ...lower(all), 'content-length': String(body.length), ...lower(headers) }, payload: body });
    return { status: res.statusCode, body: res.body };
  }
  const res = await fetch(file.uploadUrl, { method: 'PUT', headers: all, body });
  return { status: res.status, body: await res.text() };
}

function lower(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

export async function getAsset(ctx: TestContext, asset: Asset, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return ctx.app.inject({ method: 'GET', url: pathOf(asset.url), headers });
}

export interface StoreSnapshot {
  keys: string[];
  scratch: string[];
  rows: Record<string, number>;
}

/** What the store and the content tables hold now. */
export async function snapshot(ctx: TestContext): Promise<StoreSnapshot> {
  const rows: Record<string, number> = {};
  for (const table of ['content_containers', 'content_assets', 'media', 'content_upload_files'] as const) {
    const row = await ctx.database.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    rows[table] = Number(row.n);
  }
  return { keys: ctx.store.keys().sort(), scratch: ctx.store.scratch(), rows };
}

/** Nothing stored since `before`: no object, no scratch file, no container, asset or media row. */
export async function assertNothingKept(ctx: TestContext, before: StoreSnapshot): Promise<void> {
  const now = await snapshot(ctx);
  assert.deepEqual(now.keys, before.keys, 'no object may be left in the store');
  assert.deepEqual(now.scratch, [], 'no scratch file may be left');
  assert.deepEqual(now.rows, before.rows, 'no row may be written');
}
