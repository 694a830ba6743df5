import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Database } from '../db/schema.ts';
import type { PlatformAdapters } from '../platforms/adapters.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import type { Vault } from '../vault/vault.ts';

/** What the social-account flows need from outside; all of it injected so tests can substitute. */
export interface SocialDeps {
  db: Kysely<Database>;
  clock: Clock;
  vault: Vault;
  platforms: PlatformAdapters;
  /** Base of the server's own URLs: the OAuth callback and the media store. */
  publicBaseUrl: string;
  /** Used to copy avatars into the media store. */
  fetch: typeof fetch;
  /** Where copied avatars are stored. */
  blobs: BlobStore;
}

export function callbackUrl(publicBaseUrl: string, platform: string): string {
  return `${publicBaseUrl}/oauth/callback/${platform}`;
}
