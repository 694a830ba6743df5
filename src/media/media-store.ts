import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { fileTypeFromBuffer } from 'file-type';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Database, MediaTable } from '../db/schema.ts';
import { newSecretUuid } from '../secret-tokens.ts';
import type { BlobStore, ByteRange } from '../storage/blob-store.ts';

/** Only images are stored as avatars: anything else served from our origin could run script. */
const AVATAR_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
const MAX_AVATAR_BYTES = 5 * 1024 * 1024;
const FETCH_TIMEOUT_MS = 10_000;
const LEGACY_BATCH = 100;

export interface MediaDeps {
  db: Kysely<Database>;
  clock: Clock;
  blobs: BlobStore;
  fetch: typeof fetch;
}

/** A fresh, unguessable blob key: objects are served without authentication, possibly from a public bucket. */
export function newBlobKey(folder: 'avatars' | 'content' | 'uploads'): string {
  return `${folder}/${randomBytes(16).toString('hex')}`;
}

/**
 * Copies an image (a platform avatar, whose CDN URL expires) into the blob store. Its type is
 * sniffed from the bytes. Returns null when it cannot be fetched or is not an image: an avatar
 * never blocks a connect. `deps.fetch` is the server's outbound fetch (src/outbound/): the URL
 * comes from a platform's answer, so in production it may not reach a private address. At most
 * MAX_AVATAR_BYTES are read, whatever the response claims.
 */
export async function copyImage(deps: MediaDeps, url: string): Promise<string | null> {
  let bytes: Buffer;
  let contentType: string;
  try {
    const response = await deps.fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'follow' });
    const declared = Number(response.headers.get('content-length') ?? 0);
    if (!response.ok || !response.body || declared > MAX_AVATAR_BYTES) {
      await response.body?.cancel();
      return null;
    }
    const read = await readAtMost(response.body, MAX_AVATAR_BYTES);
    if (read === null || read.length === 0) return null;
    bytes = read;
    const sniffed = await fileTypeFromBuffer(bytes);
    if (!sniffed || !AVATAR_TYPES.has(sniffed.mime)) return null;
    contentType = sniffed.mime;
  } catch {
    return null;
  }
  const key = newBlobKey('avatars');
  await deps.blobs.put(key, bytes, { contentType, size: bytes.length });
  const id = newSecretUuid('med');
  await deps.db
    .insertInto('media')
    .values({
      id,
      content_type: contentType,
      byte_length: bytes.length,
      storage_key: key,
      data_base64: null,
      checksum_sha256: createHash('sha256').update(bytes).digest('hex'),
      created_at: deps.clock.now().toISOString(),
    })
    .execute();
  return id;
}

/** The whole body, or null once it passes `maxBytes` (leaving the loop cancels the stream). */
async function readAtMost(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Buffer | null> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export interface MediaObject {
  contentType: string;
  size: number;
  /** A strong validator for the bytes (they never change under one id). */
  etag: string;
  open(range?: ByteRange): Promise<Readable | Buffer | null>;
}

/** The object behind a media id, ready to be served whole or by range; null when there is none. */
export async function findMedia(db: Kysely<Database>, blobs: BlobStore, id: string): Promise<MediaObject | null> {
  const row = await db.selectFrom('media').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return null;
  return {
    contentType: row.content_type,
    size: row.byte_length,
    etag: `"${row.checksum_sha256 ?? row.id}"`,
    async open(range) {
      if (row.storage_key) return (await blobs.read(row.storage_key, range))?.body ?? null;
      // A row from before the blob store whose bytes are still being moved (moveLegacyMedia).
      const bytes = Buffer.from(row.data_base64 ?? '', 'base64');
      return range ? bytes.subarray(range.start, range.end + 1) : bytes;
    },
  };
}

/**
 * Moves the bytes of media rows written before the blob store existed (avatars stored base64 in
 * the database) into the store, once, at server start. Every process may run it at once: a row is
 * claimed by the update that clears its bytes, and a loser's copy is deleted again.
 */
export async function moveLegacyMedia(db: Kysely<Database>, blobs: BlobStore): Promise<number> {
  let moved = 0;
  for (;;) {
    const rows = await db
      .selectFrom('media')
      .selectAll()
      .where('storage_key', 'is', null)
      .orderBy('id')
      .limit(LEGACY_BATCH)
      .execute();
    if (rows.length === 0) return moved;
    for (const row of rows) if (await moveOne(db, blobs, row)) moved++;
  }
}

async function moveOne(db: Kysely<Database>, blobs: BlobStore, row: MediaTable): Promise<boolean> {
  const bytes = Buffer.from(row.data_base64 ?? '', 'base64');
  const key = newBlobKey('avatars');
  await blobs.put(key, bytes, { contentType: row.content_type, size: bytes.length });
  const claimed = await db
    .updateTable('media')
    .set({ storage_key: key, data_base64: null, byte_length: bytes.length, checksum_sha256: createHash('sha256').update(bytes).digest('hex') })
    .where('id', '=', row.id)
    .where('storage_key', 'is', null)
    .executeTakeFirst();
  if (Number(claimed.numUpdatedRows) > 0) return true;
  await blobs.delete([key]);
  return false;
}

export function mediaUrl(publicBaseUrl: string, id: string): string {
  return `${publicBaseUrl}/media/${id}`;
}
