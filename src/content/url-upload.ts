import { rm } from 'node:fs/promises';
import type { Principal } from '../api-keys/authenticate.ts';
import { ApiError, type ValidationIssue } from '../errors.ts';
import { newId } from '../ids.ts';
import { findProjectForContent } from './projects.ts';
import { storeAssets, type CheckedFile } from './assets.ts';
import { getContainer, type ContainerView } from './containers.ts';
import type { ContentDeps } from './deps.ts';
import { inspectFile, MediaRefusal, receiveFile } from './intake.ts';
import { discard } from './media-fetch.ts';
import { combinationProblem } from './media-types.ts';
import { initialApprovalStatus } from './review.ts';

const PER_FILE_MS = 60_000;
/** Declarations that claim nothing about the bytes. */
const GENERIC_TYPES = new Set(['application/octet-stream', 'binary/octet-stream', 'application/binary']);
const TYPE_ALIASES: Record<string, string> = { 'image/jpg': 'image/jpeg', 'image/pjpeg': 'image/jpeg' };

/**
 * `POST /v1/projects/:projectId/content/upload`: fetches every URL, checks each file, and creates a
 * completed container only if all of them pass. Any refusal: nothing is stored, no row is written,
 * and the 422 names each bad file (`media.<i>.url`) and what was wrong with it.
 */
export async function uploadFromUrls(deps: ContentDeps, principal: Principal, projectId: string, input: { media: { url: string }[]; caption: string }): Promise<ContainerView> {
  const project = await findProjectForContent(deps.db, principal.organizationId, projectId);
  const checked: CheckedFile[] = [];
  const issues: ValidationIssue[] = [];
  try {
    for (const [index, { url }] of input.media.entries()) {
      try {
        checked.push(await fetchAndCheck(deps, url));
      } catch (error) {
        if (!(error instanceof MediaRefusal)) throw error;
        issues.push({ path: `media.${index}.url`, code: error.code, message: error.message });
      }
    }
    const combination = issues.length === 0 ? combinationProblem(checked.map((c) => c.facts.kind)) : null;
    if (combination) issues.push({ path: `media.${combination.index}.url`, code: 'combination', message: combination.message });
    if (issues.length > 0) throw new ApiError(422, 'VALIDATION', 'One or more media files were refused; nothing was stored.', { issues });

    const stored = await storeAssets(deps.blobs, deps.clock, checked);
    const id = newId('cnt');
    try {
      await deps.db.transaction().execute(async (trx) => {
        const now = deps.clock.now().toISOString();
        await trx
          .insertInto('content_containers')
          .values({
            id,
            organization_id: principal.organizationId,
            project_id: project.id,
            status: 'completed',
            caption: input.caption,
            approval_status: await initialApprovalStatus(trx, project.id),
            review_note: null,
            reviewed_at: null,
            last_error: null,
            created_at: now,
            completed_at: now,
            updated_at: now,
          })
          .execute();
        await stored.write(trx, id);
      });
    } catch (error) {
      await deps.blobs.delete(stored.keys);
      throw error;
    }
    return getContainer(deps, principal.organizationId, id);
  } finally {
    await Promise.all(checked.map((c) => rm(c.received.file, { force: true })));
  }
}

async function fetchAndCheck(deps: ContentDeps, url: string): Promise<CheckedFile> {
  const signal = AbortSignal.timeout(PER_FILE_MS);
  const fetched = await deps.fetchMedia(url, signal);
  const scratch = await deps.blobs.scratchFile();
  const declared = fetched.contentType === null || GENERIC_TYPES.has(fetched.contentType) ? null : (TYPE_ALIASES[fetched.contentType] ?? fetched.contentType);
  let received;
  try {
    received = await receiveFile(fetched.body, scratch, { declaredType: declared });
  } catch (error) {
    discard(fetched.body);
    if (error instanceof MediaRefusal) throw error;
    if (signal.aborted) throw new MediaRefusal('timeout', `The download took longer than ${PER_FILE_MS / 1000} s.`);
    const expected = fetched.contentLength === null ? '' : ` (Content-Length said ${fetched.contentLength} bytes)`;
    throw new MediaRefusal('truncated', `The download broke off before the end of the file${expected}.`);
  }
  try {
    if (fetched.contentLength !== null && received.size !== fetched.contentLength) {
      throw new MediaRefusal('truncated', `Received ${received.size} bytes; Content-Length said ${fetched.contentLength}.`);
    }
    return { received, facts: await inspectFile(received) };
  } catch (error) {
    await rm(received.file, { force: true });
    throw error;
  }
}
