import type { Engine } from './database.ts';

/**
 * Rows one statement of a bulk change touches (housekeeping's purges, cancelling a deleted
 * endpoint's queue), with the event loop turning between statements. On SQLite a statement holds
 * the event loop, and the longest wait grew with the batch (26 ms at 100 rows, 36 at 250, 56 at
 * 1,000, purging beside 300,000 deliveries); on Postgres it does not, and smaller batches cost
 * round trips: 3.7 s at 250 rows against 1.1 at 1,000 for the same purge, 3.5 s against 2.5 to
 * cancel 100,000 deliveries (docs/performance.md, "Sixteenth round").
 */
export const ROWS_PER_BULK_STATEMENT: Record<Engine, number> = { sqlite: 250, postgres: 1000 };
