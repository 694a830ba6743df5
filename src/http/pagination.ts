import type { ExpressionBuilder } from 'kysely';
import { z } from 'zod';

/** Where a page ends: the sort key of its last item. Opaque to clients (base64url JSON). */
export interface Cursor {
  at: string;
  id: string;
}

// What this API puts in cursors: a timestamp and a prefixed id. Anything else was not made here.
const cursorSchema = z.object({ at: z.string().regex(/^[0-9T:.Z-]{1,40}$/), id: z.string().regex(/^[a-z]{1,4}_[0-9A-Za-z-]{1,64}$/) });

export const paginationQuery = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z
    .string()
    .max(512)
    .transform((value, ctx): Cursor => {
      try {
        return cursorSchema.parse(JSON.parse(Buffer.from(value, 'base64url').toString('utf8')));
      } catch {
        ctx.addIssue({ code: 'custom', message: 'Not a cursor returned by this API.' });
        return z.NEVER;
      }
    })
    .optional(),
};

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

/**
 * Keyset condition for "newest first" lists ordered by (sortColumn desc, id desc): rows strictly
 * after the cursor, as one row-value comparison `(sortColumn, id) < (at, id)`, which both engines
 * turn into a bound of the index walk (an OR of the two cases is only a filter on Postgres). Costs
 * the same on page 1 and page 10,000.
 */
export function after<DB, TB extends keyof DB & string>(cursor: Cursor, sortColumn: string) {
  return (eb: ExpressionBuilder<DB, TB>) => {
    const refTuple = eb.refTuple as (a: string, b: string) => any;
    return eb(refTuple(sortColumn, 'id'), '<', eb.tuple(cursor.at, cursor.id) as any);
  };
}

/**
 * Newest first over a filter that takes several values (statuses): one keyset walk per value, each
 * `limit + 1` rows down its own index, merged by (at, id) desc and cut to `limit + 1`. An `IN`
 * over the values would read every matching row of the project to sort them.
 */
export async function mergeNewestFirst<Row>(walks: Array<Promise<Row[]>>, limit: number, keyOf: (row: Row) => Cursor): Promise<Row[]> {
  const rows = (await Promise.all(walks)).flat();
  const newestFirst = (a: Row, b: Row) => {
    const [ka, kb] = [keyOf(a), keyOf(b)];
    if (ka.at !== kb.at) return ka.at < kb.at ? 1 : -1;
    return ka.id < kb.id ? 1 : ka.id > kb.id ? -1 : 0;
  };
  return rows.sort(newestFirst).slice(0, limit + 1);
}

/** Splits the `limit + 1` rows a list query fetched into the page and its next cursor. */
export function toPage<Row, Item>(
  rows: Row[],
  limit: number,
  cursorOf: (row: Row) => Cursor,
  toItem: (row: Row) => Item,
): { items: Item[]; nextCursor: string | null } {
  const pageRows = rows.slice(0, limit);
  const last = pageRows[pageRows.length - 1];
  return {
    items: pageRows.map(toItem),
    nextCursor: rows.length > limit && last ? encodeCursor(cursorOf(last)) : null,
  };
}
