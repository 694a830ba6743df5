import type { FastifyReply } from 'fastify';
import type { PageVersion, VersionedList } from '../db/list-versions.ts';

/** 32 MB: a few hundred pages of 50 items (LISTED_PAGES_CACHE_MB). */
export const DEFAULT_LISTED_PAGES_CACHE_MB = 32;

interface CachedPage {
  version: PageVersion;
  body: string;
}

/**
 * Listed pages as last written, each with the version of its list it was read under
 * (src/db/list-versions.ts), served again while that version stands. Partners poll their lists
 * (the reauth guide has them poll `social-accounts?status=reauth_required`), and a page of 50
 * items cost 5–10 times a single-row read, most of it reading, viewing and serializing rows that
 * had not changed (docs/performance.md, "Listed pages"). The version is read on every request, after
 * it arrived, so a page is never older than the last change committed before the request.
 *
 * Bounded by bytes (LISTED_PAGES_CACHE_MB; a body's length counts as its bytes, which it is for
 * the ASCII most pages are); the page served least recently is forgotten first. With 0, nothing is
 * kept. Keys hold the caller's organization, so a page is only ever served to the organization it
 * was read for.
 */
export class ListedPages {
  readonly #pages = new Map<string, CachedPage>();
  readonly #maxBytes: number;
  #bytes = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /**
   * Sends the page `key` names: the cached bytes when `version` (read first) is the one they were
   * read under, otherwise `read()`'s page, serialized with the route's response serializer and
   * kept. Empty pages are not kept: whether they answer 404 depends on the project, not the list.
   */
  async serve(reply: FastifyReply, key: string, version: () => Promise<PageVersion | null>, read: () => Promise<{ items: unknown[] }>): Promise<void> {
    if (this.#maxBytes === 0) {
      reply.send(await read());
      return;
    }
    const current = await version();
    const cached = this.#pages.get(key);
    if (cached && current !== null && cached.version === current) {
      // Most recently served last.
      this.#pages.delete(key);
      this.#pages.set(key, cached);
      sendJson(reply, cached.body);
      return;
    }
    const page = await read();
    if (current === null || page.items.length === 0) {
      reply.send(page);
      return;
    }
    // The routes' serializers write strings (src/http/response-serializer.ts).
    const body = reply.serialize(page) as string;
    this.#remember(key, { version: current, body });
    sendJson(reply, body);
  }

  #remember(key: string, page: CachedPage): void {
    this.#forget(key);
    if (page.body.length > this.#maxBytes) return;
    this.#pages.set(key, page);
    this.#bytes += page.body.length;
    for (const [oldest, { body }] of this.#pages) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#pages.delete(oldest);
      this.#bytes -= body.length;
    }
  }

  #forget(key: string): void {
    const page = this.#pages.get(key);
    if (!page) return;
    this.#pages.delete(key);
    this.#bytes -= page.body.length;
  }
}

/** The name of a page among all a process keeps: its list, the caller's organization, the project and the parsed query. */
export function pageKey(list: VersionedList, organizationId: string, projectId: string, query: unknown): string {
  return `${list}\u0000${organizationId}\u0000${projectId}\u0000${JSON.stringify(query)}`;
}

/** A body already serialized: with its content type set, Fastify writes the string as it is. */
function sendJson(reply: FastifyReply, body: string): void {
  reply.type('application/json; charset=utf-8').send(body);
}
