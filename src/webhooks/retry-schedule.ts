/** A delivery is tried at most this many times before it is abandoned. */
export const MAX_ATTEMPTS = 8;
/** Failures in a row, across deliveries, after which an endpoint is auto-paused. */
export const AUTO_PAUSE_AFTER_FAILURES = 20;

// Waits after attempts 1…7: about 23.6 hours from the first try to the last (docs/reference/webhooks.md, "Retries": about a day).
const BACKOFF_MS = [60_000, 5 * 60_000, 30 * 60_000, 60 * 60_000, 2 * 3_600_000, 6 * 3_600_000, 14 * 3_600_000];

/**
 * When attempt `attemptsMade + 1` may run, or null when none is left. Jitter (±10%) spreads
 * retries of many deliveries that failed together.
 */
export function nextAttemptAt(now: Date, attemptsMade: number, random: () => number = Math.random): Date | null {
  if (attemptsMade >= MAX_ATTEMPTS) return null;
  const base = BACKOFF_MS[attemptsMade - 1] ?? (BACKOFF_MS[BACKOFF_MS.length - 1] as number);
  return new Date(now.getTime() + base * (0.9 + random() * 0.2));
}

/** 2xx delivered; 4xx other than 408/429 final; 5xx, 408, 429, timeouts and network errors retried. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429 || status < 200;
}
