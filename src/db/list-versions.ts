import type { Kysely } from 'kysely';
import type { Database, ListVersionsTable } from './schema.ts';
import { sharedPerTurn, sharedReads } from './shared-reads.ts';

/** A list whose pages may be served again from memory (src/http/listed-pages.ts). */
export type VersionedList = Exclude<keyof ListVersionsTable, 'project_id'>;

/** What a cached page is checked against: it differs from the one the page was read under once anything the page shows may have changed. */
export type PageVersion = number | string;

/** A row of a page and the version of that row as the database keeps it (Postgres: `xmin`). */
export interface RowVersion {
  id: string;
  row_version: string;
}

/** A page of a list: `key` names the page (its organization, project, filters, cursor and size) among all. */
export interface ListedPage {
  list: VersionedList;
  projectId: string;
  key: string;
}

export interface ListVersions {
  /**
   * The version of `page` now, read after this call (so a change committed before it is seen), or
   * null when it cannot be known: then nothing is served from a cache. `rowVersions` reads the
   * versions of the rows the page would show, for an engine that versions rows rather than lists.
   */
  ofPage(page: ListedPage, rowVersions: () => Promise<RowVersion[]>): Promise<PageVersion | null>;
}

/**
 * SQLite: the list's version in the project, which triggers move on every change of its rows
 * (migration 0014). One read for the requests of a turn of the event loop (`sharedPerTurn`), through
 * Kysely, so never inside a group of transactions that has not yet committed
 * (src/db/sqlite-dialect.ts). A project none of whose rows has changed since the migration has
 * no row yet: version 0.
 */
export function sqliteListVersions(db: Kysely<Database>): ListVersions {
  const read = sharedPerTurn(async (projectIds: readonly string[]) => {
    try {
      const rows = await db.selectFrom('list_versions').selectAll().where('project_id', 'in', [...new Set(projectIds)]).execute();
      const versions = new Map<string, Record<VersionedList, number>>(rows.map((row) => [row.project_id, row]));
      for (const id of projectIds) if (!versions.has(id)) versions.set(id, { social_accounts: 0, scheduled_posts: 0 });
      return versions;
    } catch {
      // Before the migrations have run, or on a closed database: no version, no cache.
      return new Map<string, null>();
    }
  });
  return { ofPage: async ({ list, projectId }) => (await read(projectId))?.[list] ?? null };
}

/**
 * Postgres: the ids and `xmin` of the page's rows. Every insert or update of a row writes a new
 * version of it with the writing transaction's id in `xmin`, and a deleted row leaves the page, so
 * the same ids with the same `xmin`s are the same rows. Contention-free: no counter that every
 * writer of a project updates. The read costs what the page's index walk costs on the database,
 * but builds two values per row where the page builds its view, and spares the view and its
 * serialization. Requests for the same page share the read as the version of the authentication
 * tables is shared (`sharedReads`: none joins a read sent before it asked): pages that are polled
 * cost one read per batch of requests.
 */
export function postgresListVersions(): ListVersions {
  const readers = new Map<string, () => Promise<RowVersion[]>>();
  const read = sharedReads(async (keys: readonly string[]) => {
    const distinct = [...new Set(keys)];
    const versions = await Promise.all(
      distinct.map(async (key) => {
        const rowVersions = readers.get(key);
        readers.delete(key);
        try {
          return rowVersions ? (await rowVersions()).map((row) => `${row.id}:${row.row_version}`).join(',') : null;
        } catch {
          return null;
        }
      }),
    );
    return new Map(distinct.map((key, index) => [key, versions[index] ?? null]));
  });
  return {
    ofPage: async (page, rowVersions) => {
      if (!readers.has(page.key)) readers.set(page.key, rowVersions);
      return (await read(page.key)) ?? null;
    },
  };
}
