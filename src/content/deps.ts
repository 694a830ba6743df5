import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Database } from '../db/schema.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import type { MediaFetch } from './media-fetch.ts';

export interface ContentDeps {
  db: Kysely<Database>;
  clock: Clock;
  blobs: BlobStore;
  /** Base of the server's own URLs: upload URLs and `/media` asset URLs. */
  publicBaseUrl: string;
  /** Fetches partners' media URLs through the outbound address guard. */
  fetchMedia: MediaFetch;
}
