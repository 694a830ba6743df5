import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Database } from '../db/schema.ts';
import { newSecretUuid } from '../secret-tokens.ts';

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
 * `fetchImpl` is the server's outbound fetch (src/outbound/): the URL comes from a platform's
 * answer, so in production it may not reach a private address. At most MAX_IMAGE_BYTES are read,
 * whatever the response claims.
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
    if (!response.ok || !response.body || !IMAGE_TYPES.has(contentType) || declared > MAX_IMAGE_BYTES) {
      await response.body?.cancel();
      return null;
    }
    const bytes = await readAtMost(response.body, MAX_IMAGE_BYTES);
    if (bytes === null || bytes.length === 0) return null;
    image = { contentType, bytes };
  } catch {
    return null;
  }
  const id = newSecretUuid('med');
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

export async function readMedia(db: Kysely<Database>, id: string): Promise<StoredMedia | null> {
  const row = await db.selectFrom('media').select(['content_type', 'data_base64']).where('id', '=', id).executeTakeFirst();
  return row ? { contentType: row.content_type, bytes: Buffer.from(row.data_base64, 'base64') } : null;
}

export function mediaUrl(publicBaseUrl: string, id: string): string {
  return `${publicBaseUrl}/media/${id}`;
}
