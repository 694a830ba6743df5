/**
 * True when SQLite gave up waiting for a lock another process held past the busy timeout
 * (SQLITE_BUSY, with or without an extended code; docs/operations.md, "The CLI beside a running
 * server"). Postgres waits for row locks instead of failing, so it has no such error here.
 */
export function isDatabaseBusy(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const { errcode } = error as { errcode?: unknown };
  return typeof errcode === 'number' && (errcode & 0xff) === SQLITE_BUSY;
}

const SQLITE_BUSY = 5;
