import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Principal } from '../api-keys/authenticate.ts';
import type { ContentUploadFilesTable } from '../db/schema.ts';
import { ApiError, conflict, notFound, type ValidationIssue } from '../errors.ts';
import { newId } from '../ids.ts';
import { newBlobKey } from '../media/media-store.ts';
import { newBearerToken } from '../secret-tokens.ts';
import { storeAssets, type CheckedFile } from './assets.ts';
import { findContainer, getContainer, releaseContainerBytes, viewContainer, type ContainerView } from './containers.ts';
import type { ContentDeps } from './deps.ts';
import { inspectFile, MediaRefusal, receiveFile } from './intake.ts';
import { capOf, describeBytes, kindOf, type AcceptedType } from './media-types.ts';
import { findProjectForContent } from './projects.ts';
import { initialApprovalStatus } from './review.ts';

/** How long an upload URL works, and how long an unfinalized session keeps its bytes. */
export const UPLOAD_URL_TTL_MS = 15 * 60 * 1000;
export const SESSION_TTL_MS = 24 * 60 * 60 * 1000;

export interface DeclaredFile {
  filename: string;
  contentType: AcceptedType;
  sizeBytes: number;
}

export interface UploadSession {
  items: {
    containerId: string;
    files: {
      fileId: string;
      filename: string;
      contentType: AcceptedType;
      sizeBytes: number;
      uploadUrl: string;
      uploadMethod: 'PUT';
      uploadHeaders: Record<string, string>;
      expiresAt: string;
    }[];
  }[];
}

/** A capability token: 256 CSPRNG bits, only its hash is stored (docs/reference/content.md). */
function newUploadToken(): { token: string; hash: string } {
  const token = newBearerToken();
  return { token, hash: hashToken(token) };
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Step 1 of a direct upload: one queued container per file (`per-file`) or one for all of them
 * (`slideshow`, 2–10 images), each file with a single-purpose upload URL that lives 15 minutes.
 */
export async function createUploadSessions(
  deps: ContentDeps,
  principal: Principal,
  projectId: string,
  input: { files: DeclaredFile[]; grouping: 'per-file' | 'slideshow' },
): Promise<UploadSession> {
  const issues: ValidationIssue[] = [];
  input.files.forEach((file, i) => {
    if (file.sizeBytes > capOf(file.contentType)) {
      issues.push({ path: `files.${i}.sizeBytes`, code: 'too_big', message: `A ${kindOf(file.contentType)} may be at most ${describeBytes(capOf(file.contentType))}.` });
    }
    if (input.grouping === 'slideshow' && kindOf(file.contentType) === 'video') {
      issues.push({ path: `files.${i}.contentType`, code: 'combination', message: 'A slideshow holds images only; upload a video with grouping "per-file".' });
    }
  });
  if (input.grouping === 'slideshow' && input.files.length < 2) {
    issues.push({ path: 'files', code: 'too_small', message: 'A slideshow holds 2–10 images; upload a single image with grouping "per-file".' });
  }
  if (issues.length > 0) throw new ApiError(422, 'VALIDATION', 'The request failed validation.', { issues });

  const project = await findProjectForContent(deps.db, principal.organizationId, projectId);
  const groups = input.grouping === 'slideshow' ? [input.files] : input.files.map((file) => [file]);
  const now = deps.clock.now();
  const expiresAt = new Date(now.getTime() + UPLOAD_URL_TTL_MS);
  const planned = await Promise.all(
    groups.map(async (files) => ({
      containerId: newId('cnt'),
      files: await Promise.all(
        files.map(async (file, position) => {
          const { token, hash } = newUploadToken();
          const row: ContentUploadFilesTable = {
            id: newId('fil'),
            container_id: '',
            position,
            filename: file.filename,
            content_type: file.contentType,
            size_bytes: file.sizeBytes,
            token_hash: hash,
            staging_key: newBlobKey('uploads'),
            state: 'pending',
            expires_at: expiresAt.toISOString(),
            received_at: null,
            swept_at: null,
            created_at: now.toISOString(),
          };
          const direct = await deps.blobs.directUploadTarget(row.staging_key, { contentType: file.contentType, size: file.sizeBytes, expiresAt });
          return { row, target: direct ?? { url: `${deps.publicBaseUrl}/uploads/${token}`, headers: { 'Content-Type': file.contentType } } };
        }),
      ),
    })),
  );
  await deps.db.transaction().execute(async (trx) => {
    for (const { containerId, files } of planned) {
      await trx
        .insertInto('content_containers')
        .values({
          id: containerId,
          organization_id: principal.organizationId,
          project_id: project.id,
          status: 'queued',
          caption: '',
          approval_status: await initialApprovalStatus(trx, project.id),
          review_note: null,
          reviewed_at: null,
          last_error: null,
          created_at: now.toISOString(),
          completed_at: null,
          updated_at: now.toISOString(),
        })
        .execute();
      await trx.insertInto('content_upload_files').values(files.map(({ row }) => ({ ...row, container_id: containerId }))).execute();
    }
  });
  return {
    items: planned.map(({ containerId, files }) => ({
      containerId,
      files: files.map(({ row, target }) => ({
        fileId: row.id,
        filename: row.filename,
        contentType: row.content_type as AcceptedType,
        sizeBytes: row.size_bytes,
        uploadUrl: target.url,
        uploadMethod: 'PUT' as const,
        uploadHeaders: target.headers,
        expiresAt: row.expires_at,
      })),
    })),
  };
}

export interface IncomingUpload {
  contentType: string | undefined;
  contentLength: string | undefined;
  body: Readable;
}

/**
 * Step 2 on the filesystem store: `PUT /uploads/<token>` with the declared type and exactly the
 * declared bytes, once. A refused or broken upload keeps nothing and leaves the URL usable until
 * it expires; a completed one cannot be repeated.
 */
export async function receiveUpload(deps: ContentDeps, token: string, upload: IncomingUpload): Promise<{ fileId: string; containerId: string; sizeBytes: number }> {
  const file = await deps.db.selectFrom('content_upload_files').selectAll().where('token_hash', '=', hashToken(token)).executeTakeFirst();
  if (!file) throw notFound('Upload URL');
  const refuse = (status: number, path: string, code: string, message: string) =>
    new ApiError(status, 'VALIDATION', message, { fileId: file.id, issues: [{ path, code, message }] });
  if (deps.clock.now().toISOString() >= file.expires_at) {
    throw new ApiError(410, 'UPLOAD_EXPIRED', 'This upload URL has expired; create a new upload session.', { fileId: file.id, expiredAt: file.expires_at });
  }
  if (file.state !== 'pending') throw new ApiError(409, 'CONFLICT', 'This upload URL was already used.', { fileId: file.id, currentStatus: file.state });
  const type = upload.contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type !== file.content_type) throw refuse(415, 'Content-Type', 'type_mismatch', `Content-Type must be ${file.content_type}, as declared; got ${type || 'none'}.`);
  if (upload.contentLength !== undefined && Number(upload.contentLength) !== file.size_bytes) {
    const code = Number(upload.contentLength) > file.size_bytes ? 'too_big' : 'too_small';
    throw refuse(code === 'too_big' ? 413 : 400, 'Content-Length', code, `Content-Length must be ${file.size_bytes}, as declared; got ${upload.contentLength}.`);
  }
  const claimed = await deps.db.updateTable('content_upload_files').set({ state: 'receiving' }).where('id', '=', file.id).where('state', '=', 'pending').executeTakeFirst();
  if (Number(claimed.numUpdatedRows) === 0) throw new ApiError(409, 'CONFLICT', 'This upload URL is already in use.', { fileId: file.id, currentStatus: 'receiving' });

  const scratch = await deps.blobs.scratchFile();
  try {
    const received = await receiveFile(upload.body, scratch, { exactBytes: file.size_bytes, declaredType: file.content_type }).catch((error: unknown) => {
      if (error instanceof MediaRefusal) throw error;
      throw new MediaRefusal('truncated', 'The upload broke off before the declared size was reached.');
    });
    await deps.blobs.putFile(file.staging_key, received.file, received.type);
    await deps.db.updateTable('content_upload_files').set({ state: 'received', received_at: deps.clock.now().toISOString() }).where('id', '=', file.id).execute();
    return { fileId: file.id, containerId: file.container_id, sizeBytes: received.size };
  } catch (error) {
    await deps.db.updateTable('content_upload_files').set({ state: 'pending' }).where('id', '=', file.id).where('state', '=', 'receiving').execute();
    if (error instanceof MediaRefusal) throw refuse(error.code === 'size_mismatch' ? 413 : 422, 'body', error.code, error.message);
    throw error;
  } finally {
    await rm(scratch, { force: true });
  }
}

/**
 * Step 3: checks every file arrived whole and is what it was declared to be, then completes the
 * container with the first caption given. A completed container answers itself unchanged.
 */
export async function finalizeUpload(deps: ContentDeps, principal: Principal, containerId: string, caption: string): Promise<ContainerView> {
  const container = await findContainer(deps.db, principal.organizationId, containerId);
  if (container.status === 'completed') return viewContainer(deps, deps.db, container);
  if (container.status !== 'queued') throw conflict(`This upload session is ${container.status}; start a new one.`, container.status);
  const files = await deps.db.selectFrom('content_upload_files').selectAll().where('container_id', '=', container.id).orderBy('position').execute();
  const heads = await Promise.all(files.map((file) => deps.blobs.head(file.staging_key)));
  const missing = files.filter((_, i) => heads[i] === null).map((file) => file.id);
  if (missing.length > 0) {
    throw new ApiError(409, 'UPLOAD_INCOMPLETE', `${missing.length} of ${files.length} files have not been uploaded yet.`, { missing });
  }

  const checked: CheckedFile[] = [];
  try {
    const issues: ValidationIssue[] = [];
    for (const file of files) {
      try {
        checked.push(await checkStaged(deps, file));
      } catch (error) {
        if (!(error instanceof MediaRefusal)) throw error;
        issues.push({ path: `files.${file.position}`, code: error.code, message: `${file.filename} (${file.id}): ${error.message}` });
      }
    }
    if (issues.length > 0) {
      await failSession(deps, container.id, issues);
      throw new ApiError(422, 'VALIDATION', 'One or more uploaded files were refused; the upload session failed and nothing was kept.', { issues });
    }
    const stored = await storeAssets(deps.blobs, deps.clock, checked);
    const won = await deps.db
      .transaction()
      .execute(async (trx) => {
        const now = deps.clock.now().toISOString();
        const updated = await trx
          .updateTable('content_containers')
          .set({ status: 'completed', caption, completed_at: now, updated_at: now })
          .where('id', '=', container.id)
          .where('status', '=', 'queued')
          .executeTakeFirst();
        if (Number(updated.numUpdatedRows) === 0) return false;
        await stored.write(trx, container.id);
        await trx.updateTable('content_upload_files').set({ state: 'consumed' }).where('container_id', '=', container.id).execute();
        return true;
      })
      .catch(async (error: unknown) => {
        await deps.blobs.delete(stored.keys);
        throw error;
      });
    // A concurrent finalize completed it first: its assets stand, ours go.
    if (!won) await deps.blobs.delete(stored.keys);
    else await deps.blobs.delete(files.map((file) => file.staging_key));
    return getContainer(deps, principal.organizationId, container.id);
  } finally {
    await Promise.all(checked.map((c) => rm(c.received.file, { force: true })));
  }
}

/** Reads a staged upload back through the same checks a fetched file gets. */
async function checkStaged(deps: ContentDeps, file: ContentUploadFilesTable): Promise<CheckedFile> {
  const staged = await deps.blobs.read(file.staging_key);
  if (!staged) throw new MediaRefusal('missing', 'The file disappeared before it could be checked.');
  const scratch = await deps.blobs.scratchFile();
  const received = await receiveFile(staged.body, scratch, { exactBytes: file.size_bytes, declaredType: file.content_type });
  try {
    return { received, facts: await inspectFile(received), staged: { key: file.staging_key, etag: staged.info.etag } };
  } catch (error) {
    await rm(received.file, { force: true });
    throw error;
  }
}

async function failSession(deps: ContentDeps, containerId: string, issues: ValidationIssue[]): Promise<void> {
  const keys = await deps.db.transaction().execute(async (trx) => {
    const now = deps.clock.now().toISOString();
    const lastError = { code: 'MEDIA_REFUSED', message: issues.map((i) => i.message).join(' '), at: now };
    const updated = await trx
      .updateTable('content_containers')
      .set({ status: 'failed', last_error: JSON.stringify(lastError), updated_at: now })
      .where('id', '=', containerId)
      .where('status', '=', 'queued')
      .executeTakeFirst();
    return Number(updated.numUpdatedRows) > 0 ? releaseContainerBytes(trx, containerId, now) : [];
  });
  await deps.blobs.delete(keys);
}

/**
 * The 24-hour sweep (a periodic task): unfinalized sessions become `canceled` and lose their
 * bytes; whatever a reused upload URL left under a finished session's staging keys goes too.
 */
export async function sweepUploadSessions(deps: Pick<ContentDeps, 'db' | 'clock' | 'blobs'>): Promise<{ canceled: number; swept: number }> {
  const now = deps.clock.now();
  const cutoff = new Date(now.getTime() - SESSION_TTL_MS).toISOString();
  const stale = await deps.db.selectFrom('content_containers').select('id').where('status', '=', 'queued').where('created_at', '<', cutoff).limit(500).execute();
  let canceled = 0;
  for (const { id } of stale) {
    const keys = await deps.db.transaction().execute(async (trx) => {
      const at = now.toISOString();
      const lastError = { code: 'UPLOAD_EXPIRED', message: 'The upload session was not finalized within 24 hours.', at };
      const updated = await trx
        .updateTable('content_containers')
        .set({ status: 'canceled', last_error: JSON.stringify(lastError), updated_at: at })
        .where('id', '=', id)
        .where('status', '=', 'queued')
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) return [];
      canceled++;
      return releaseContainerBytes(trx, id, at);
    });
    await deps.blobs.delete(keys);
  }
  const leftovers = await deps.db.selectFrom('content_upload_files').select(['id', 'staging_key']).where('swept_at', 'is', null).where('created_at', '<', cutoff).limit(1000).execute();
  await deps.blobs.delete(leftovers.map((f) => f.staging_key));
  if (leftovers.length > 0) {
    await deps.db.updateTable('content_upload_files').set({ swept_at: now.toISOString() }).where('id', 'in', leftovers.map((f) => f.id)).execute();
  }
  return { canceled, swept: leftovers.length };
}
