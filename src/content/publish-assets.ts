import type { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { mediaUrl } from '../media/media-store.ts';
import type { PublishAsset } from '../platforms/publishing.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import { loadAssets } from './containers.ts';

/**
 * A container's files as the publisher hands them to a platform module (src/platforms/publishing.ts):
 * in order, each with the URL a platform can pull it from and a way to stream its bytes, whole or
 * by range (for platforms that take chunked uploads).
 */
export async function publishAssets(deps: { db: Kysely<Database>; blobs: BlobStore; publicBaseUrl: string }, containerId: string): Promise<PublishAsset[]> {
  const assets = (await loadAssets(deps.db, [containerId])).get(containerId) ?? [];
  return assets.map((asset) => {
    const key = asset.storage_key;
    return {
      kind: asset.kind,
      mimeType: asset.mime_type,
      sizeBytes: asset.size_bytes,
      width: asset.width,
      height: asset.height,
      durationMs: asset.duration_ms,
      publicUrl: (key ? deps.blobs.publicUrl(key) : null) ?? mediaUrl(deps.publicBaseUrl, asset.media_id),
      async open(range?: { start: number; end: number }): Promise<Readable> {
        const object = key ? await deps.blobs.read(key, range) : null;
        if (!object) throw new Error(`the bytes of asset ${asset.id} are gone (container ${containerId} deleted?)`);
        return object.body;
      },
    };
  });
}
