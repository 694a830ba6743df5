import type { Kysely, Transaction } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Database } from '../db/schema.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import type { MediaFetch } from './media-fetch.ts';

/** What scheduling did when a pending container was approved (API.md §8's approval gate). */
export interface PendingSchedulePromotion {
  status: 'ok' | 'failed' | 'none';
  scheduledPostIds: string[];
  error?: { code: string; message: string };
}

/**
 * Where scheduled posts (a later module) plug into containers; each list is empty until that
 * module registers its own. Containers never read posts themselves.
 */
export interface ContentHooks {
  /** Ids of posts that keep a container from being deleted (queued or publishing), checked in the delete's transaction. */
  deletionBlockers: ReadonlyArray<(trx: Transaction<Database>, containerId: string) => Promise<string[]>>;
  /** Turns schedule requests kept while the container awaited approval into posts, in the approval's transaction. */
  approvalPromoters: ReadonlyArray<(trx: Transaction<Database>, organizationId: string, containerId: string) => Promise<PendingSchedulePromotion>>;
  /** Drops schedule requests kept for a container its reviewer rejected, in the rejection's transaction. */
  rejectionListeners: ReadonlyArray<(trx: Transaction<Database>, containerId: string) => Promise<void>>;
}

export interface ContentDeps {
  db: Kysely<Database>;
  clock: Clock;
  blobs: BlobStore;
  /** Base of the server's own URLs: upload URLs and `/media` asset URLs. */
  publicBaseUrl: string;
  /** Fetches partners' media URLs through the outbound address guard. */
  fetchMedia: MediaFetch;
  hooks: ContentHooks;
}
