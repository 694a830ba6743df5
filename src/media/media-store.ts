import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Database } from '../db/schema.ts';
import { newId } from '../ids.ts';

/** Only images are stored and served: anything else served from our origin could run script. */
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
const FETCH_TIMEOUT_MS = 10_000;

export interface StoredMedia {
  contentType: string;
  bytes: Buffer;
}

/**
 * Copies an image (a platform avatar, whose CDN URL expires) into the media store.
 * Returns null when it cannot be fetched or is not an image: an avatar never blocks a connect.
 */
export async function copyImage(
  db: Kysely<Database>,
  clock: Clock,
  fetchImpl: typeof fetch,
  url: string,
): Promise<string | null> {
  let image: StoredMedia;
  try {
    const response = await fetchImpl(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'follow' });
    const contentType = (response.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    const declared = Number(response.headers.get('content-length') ?? 0);
    if (!response.ok || !IMAGE_TYPES.has(contentType) || declared > MAX_IMAGE_BYTES) return null;
    const bytes = Buffer.from(await response.arrayBuffer());
    if (bytes.length === 0 || bytes.length > MAX_IMAGE_BYTES) return null;
    image = { contentType, bytes };
  } catch {
    return null;
  }
  const id = newId('med');
  await db
    .insertInto('media')
    .values({
      id,
      content_type: image.contentType,
      data_base64: image.bytes.toString('base64'),
      byte_length: image.bytes.length,
      created_at: clock.now().toISOString(),
    })
    .execute();
  return id;
}

export async function readMedia(db: Kysely<Database>, id: string): Promise<StoredMedia | null> {
  const row = await db.selectFrom('media').select(['content_type', 'data_base64']).where('id', '=', id).executeTakeFirst();
  return row ? { contentType: row.content_type, bytes: Buffer.from(row.data_base64, 'base64') } : null;
}

export function mediaUrl(publicBaseUrl: string, id: string): string {
  return `${publicBaseUrl}/media/${id}`;
}
