import { createHash } from 'node:crypto';

/**
 * How the emulated platforms take media in: fetched from a URL the way platforms pull media a post
 * names, or received in chunks. Only a digest, the size and the
 * first bytes are kept: enough to tell what arrived, without holding videos in memory.
 */
export interface ReceivedMedia {
  sha256: string;
  size: number;
  /** The first bytes, to tell the format. */
  head: Buffer;
}

export type FetchedMedia = ({ ok: true } & ReceivedMedia) | { ok: false; detail: string; tooLarge: boolean };

const HEAD_BYTES = 64;
const FETCH_TIMEOUT_MS = 30_000;

/** Accumulates a file chunk by chunk. */
export class MediaReceiver {
  readonly #hash = createHash('sha256');
  #head = Buffer.alloc(0);
  #size = 0;

  get size(): number {
    return this.#size;
  }

  write(chunk: Uint8Array): void {
    this.#hash.update(chunk);
    if (this.#head.length < HEAD_BYTES) this.#head = Buffer.concat([this.#head, Buffer.from(chunk.subarray(0, HEAD_BYTES - this.#head.length))]);
    this.#size += chunk.length;
  }

  finish(): ReceivedMedia {
    return { sha256: this.#hash.digest('hex'), size: this.#size, head: this.#head };
  }
}

/** GET `url` and digest it, giving up past `maxBytes` (the platform's size limit). */
export async function fetchMedia(url: string, options: { maxBytes: number; followRedirects: boolean }): Promise<FetchedMedia> {
  let response: Response;
  try {
    response = await fetch(url, { redirect: options.followRedirects ? 'follow' : 'error', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  } catch (error) {
    return { ok: false, detail: error instanceof Error ? error.message : String(error), tooLarge: false };
  }
  if (!response.ok || response.body === null) {
    await response.body?.cancel();
    return { ok: false, detail: `HTTP ${response.status}`, tooLarge: false };
  }
  const receiver = new MediaReceiver();
  try {
    // Leaving the loop early cancels the download.
    for await (const chunk of response.body) {
      receiver.write(chunk);
      if (receiver.size > options.maxBytes) break;
    }
  } catch (error) {
    return { ok: false, detail: error instanceof Error ? error.message : String(error), tooLarge: false };
  }
  if (receiver.size > options.maxBytes) return { ok: false, detail: `over ${options.maxBytes} bytes`, tooLarge: true };
  return { ok: true, ...receiver.finish() };
}

export type MediaFormat = 'mp4' | 'webm' | 'jpeg' | 'png' | 'webp' | 'unknown';

/** What the first bytes say the file is (an MP4 or QuickTime file starts with an `ftyp` box). */
export function mediaFormat(head: Buffer): MediaFormat {
  if (head.length >= 8 && head.toString('latin1', 4, 8) === 'ftyp') return 'mp4';
  if (head.length >= 4 && head.readUInt32BE(0) === 0x1a45dfa3) return 'webm';
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (head.length >= 8 && head.readUInt32BE(0) === 0x89504e47) return 'png';
  if (head.length >= 12 && head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  return 'unknown';
}
