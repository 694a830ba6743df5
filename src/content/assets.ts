import type { Transaction } from 'kysely';
import type { Clock } from '../clock.ts';
import type { ContentAssetsTable, Database, MediaTable } from '../db/schema.ts';
import { newId } from '../ids.ts';
import { newSecretUuid } from '../secret-tokens.ts';
import { newBlobKey } from '../media/media-store.ts';
import type { AssetFacts } from '../platforms/media.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import type { ReceivedFile } from './intake.ts';

/** A checked file on its way into a container. */
export interface CheckedFile {
  received: ReceivedFile;
  facts: AssetFacts;
  /** A direct upload's staged object, and the version that was checked: the asset is copied from it. */
  staged?: { key: string; etag: string | null };
}

/** Files moved into the blob store, with the rows that will make them a container's assets. */
export interface StoredAssets {
  keys: string[];
  write(trx: Transaction<Database>, containerId: string): Promise<void>;
}

/**
 * Moves checked files into the blob store under fresh keys. If one fails, those already
 * stored are deleted: a batch is stored whole or not at all. The caller writes the rows in its
 * transaction and deletes `keys` if that transaction fails.
 */
export async function storeAssets(blobs: BlobStore, clock: Clock, files: readonly CheckedFile[]): Promise<StoredAssets> {
  const stored: string[] = [];
  const now = clock.now().toISOString();
  const rows: { media: MediaTable; asset: Omit<ContentAssetsTable, 'container_id'> }[] = [];
  try {
    for (const [position, { received, facts, staged }] of files.entries()) {
      const key = newBlobKey('content');
      // A staged upload is copied inside the store (S3 copies without the bytes leaving the bucket),
      // and only if it is still the version that was checked.
      if (staged) await blobs.copy(staged.key, key, received.type, staged.etag);
      else await blobs.putFile(key, received.file, received.type);
      stored.push(key);
      const mediaId = newSecretUuid('med');
      rows.push({
        media: { id: mediaId, content_type: received.type, byte_length: received.size, storage_key: key, data_base64: null, checksum_sha256: received.sha256, created_at: now },
        asset: {
          id: newId('ast'),
          position,
          kind: facts.kind,
          media_id: mediaId,
          mime_type: facts.mimeType,
          size_bytes: facts.sizeBytes,
          checksum_sha256: received.sha256,
          width: facts.width,
          height: facts.height,
          duration_ms: facts.durationMs,
          frame_rate: facts.frameRate,
          video_codec: facts.videoCodec,
          created_at: now,
        },
      });
    }
  } catch (error) {
    await blobs.delete(stored);
    throw error;
  }
  return {
    keys: stored,
    async write(trx, containerId) {
      if (rows.length === 0) return;
      await trx.insertInto('media').values(rows.map((r) => r.media)).execute();
      await trx.insertInto('content_assets').values(rows.map((r) => ({ ...r.asset, container_id: containerId }))).execute();
    },
  };
}
