/** Metrics are stored per UTC hour, numbered from 1970 (docs/design/metrics-storage.md). */
export const HOUR_MS = 60 * 60 * 1000;

/** METRICS_SYNC_INTERVAL_SECONDS' default: twice per stored hour. */
export const DEFAULT_METRICS_SYNC_INTERVAL_MS = 30 * 60 * 1000;

/** A stored counter as a number: Postgres answers bigint columns and sums as strings, SQLite as numbers. */
export function storedCount(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}
