import { setImmediate } from 'node:timers/promises';
import { startPolling } from '../polling.ts';

/**
 * One kind of background work over durable rows (docs/design/jobs.md): webhook deliveries, token
 * refreshes, scheduled posts, periodic tasks. Rows are claimed with a lease (lease.ts); rows of one
 * group (a webhook endpoint, a social account) are worked one after another, in claim order, and a
 * group being worked in this process is not claimed again until it is done.
 */
export interface Queue<Row extends { id: string }> {
  readonly name: string;
  /** Groups worked at once in one process. */
  readonly concurrency: number;
  /**
   * While groups are being worked, new work is claimed once this many slots are free (default 1):
   * one claim for several groups can cost what a claim for one does.
   */
  readonly claimWhenFree?: number;
  /** How often an idle process looks for due rows. */
  readonly pollMs: number;
  /** Runs at the start of each run, before its first claim (the metrics sync's first run registers the accounts no grant registered). */
  beginRun?(): Promise<void>;
  /** Leases up to `limit` due rows outside `busyGroups`, in due order. */
  claim(limit: number, busyGroups: readonly string[]): Promise<Row[]>;
  groupOf(row: Row): string;
  /** Works one group's claimed rows in order, writing each outcome only while its lease holds. */
  work(rows: Row[]): Promise<void>;
  /** Writes what `work` left to be written with other groups' outcomes; called when a run ends. */
  settle?(): Promise<void>;
}

export interface QueueRunner {
  /**
   * Works every row due now (new work is claimed as groups finish) and returns how many rows were
   * worked. A row claimed again right after its last claim (its work left it due) ends the
   * claiming: it is worked once more, and anything still due waits for the next run.
   */
  runOnce(): Promise<number>;
}

/**
 * A row claimed again this soon after its last claim was not given a later due time by its work.
 * No queue waits less than a second before a row is due again (platform status polls are the
 * shortest wait); ending the claiming at every return cut long publishing runs short and cost
 * 10–15 % of their throughput (docs/performance.md, "Thirteenth round").
 */
const SPUN_WITHIN_MS = 100;

/** A pool of per-group chains: one slow group holds one slot, never the whole queue. */
export function queueRunner<Row extends { id: string }>(queue: Queue<Row>): QueueRunner {
  return {
    async runOnce() {
      await queue.beginRun?.();
      const chains = new Map<string, Promise<void>>();
      let worked = 0;
      let failure: unknown = null;
      // A row due again as soon as it was worked (its work moved neither its due time nor its due
      // condition) would be claimed forever, and on SQLite, whose statements resolve without
      // leaving the event loop, no request would be answered meanwhile (docs/design/jobs.md).
      // A row may come back in a long run for good reason (a post polled again after a second),
      // so only one back within SPUN_WITHIN_MS of its last claim ends the claiming.
      const lastClaimedAt = new Map<string, number>();
      let claimedAgain = false;
      let claims = 0;
      for (;;) {
        const room = queue.concurrency - chains.size;
        const worthClaiming = chains.size === 0 || room >= (queue.claimWhenFree ?? 1);
        const claiming = worthClaiming && failure === null && !claimedAgain;
        // Between two claims the event loop turns once, so requests are answered meanwhile even
        // when the work waits for no I/O (on SQLite, a run of work that fails fast would otherwise
        // hold every request until the run ends).
        if (claiming && claims++ > 0) await setImmediate();
        const busy = [...chains.keys()];
        const claimed = claiming ? await queue.claim(room, busy) : [];
        const claimedAt = performance.now();
        for (const row of claimed) {
          const before = lastClaimedAt.get(row.id);
          if (before !== undefined && claimedAt - before < SPUN_WITHIN_MS) claimedAgain = true;
          lastClaimedAt.set(row.id, claimedAt);
        }
        for (const [group, rows] of groupRows(queue, claimed)) {
          const chain: Promise<void> = queue
            .work(rows)
            .catch((error: unknown) => {
              failure ??= error;
            })
            .finally(() => chains.delete(group));
          chains.set(group, chain);
        }
        worked += claimed.length;
        if (chains.size === 0) {
          // A claim that left out busy groups missed their later rows; if those groups finished
          // while it was under way, nothing is being worked now but their rows may still be due.
          if (claiming && busy.length > 0) continue;
          break;
        }
        if (claimed.length === 0 || chains.size >= queue.concurrency) await Promise.race(chains.values());
      }
      await queue.settle?.().catch((error: unknown) => {
        failure ??= error;
      });
      if (failure !== null) throw failure;
      return worked;
    },
  };
}

function groupRows<Row extends { id: string }>(queue: Queue<Row>, rows: Row[]): Map<string, Row[]> {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const group = queue.groupOf(row);
    groups.set(group, [...(groups.get(group) ?? []), row]);
  }
  return groups;
}

/** Runs every queue on its own poll interval until stopped; safe in every process at once (the leases decide). */
export function startQueues(
  queues: ReadonlyArray<Queue<{ id: string }>>,
  onError: (queue: string, error: unknown) => void,
): { stop(): Promise<void> } {
  const loops = queues.map((queue) => {
    const runner = queueRunner(queue);
    return startPolling(queue.pollMs, () => runner.runOnce(), (error) => onError(queue.name, error));
  });
  return {
    async stop() {
      await Promise.all(loops.map((loop) => loop.stop()));
    },
  };
}
