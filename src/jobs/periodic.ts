import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Engine } from '../db/database.ts';
import type { Database, PeriodicTasksTable } from '../db/schema.ts';
import { claimDue, leaseOf } from './lease.ts';
import type { Queue } from './runner.ts';

/** A task every deployment runs every `intervalMs`, in one process at a time. */
export interface PeriodicTask {
  name: string;
  intervalMs: number;
  run(): Promise<unknown>;
}

/** Longer than any periodic task takes; a process that dies mid-task gives the task back after it. */
const LEASE_MS = 5 * 60 * 1000;

/**
 * Periodic tasks as a queue of the job mechanism: one row per task (`periodic_tasks`), due when
 * its `next_run_at` has come. Whichever process claims the row runs the task and sets the next
 * run; a task that throws is recorded on its row and tried again at the next interval.
 */
export function periodicQueue(deps: { db: Kysely<Database>; engine: Engine; clock: Clock }, tasks: readonly PeriodicTask[], pollMs: number): Queue<PeriodicTasksTable> {
  const byName = new Map(tasks.map((task) => [task.name, task]));
  let registered = false;
  return {
    name: 'periodic tasks',
    concurrency: tasks.length,
    pollMs,
    async claim(limit) {
      if (!registered) {
        const now = deps.clock.now().toISOString();
        await deps.db
          .insertInto('periodic_tasks')
          .values(tasks.map((task) => ({ id: task.name, next_run_at: now, locked_until: null, last_run_at: null, last_error: null })))
          .onConflict((oc) => oc.column('id').doNothing())
          .execute();
        registered = true;
      }
      return claimDue(deps.db, deps.engine, deps.clock, {
        table: 'periodic_tasks',
        due: (eb) => eb.and([eb('next_run_at', '<=', deps.clock.now().toISOString()), eb('id', 'in', [...byName.keys()])]),
        orderBy: ['next_run_at'],
        limit,
        leaseMs: LEASE_MS,
      });
    },
    groupOf: (row) => row.id,
    async work(rows) {
      for (const row of rows) {
        const task = byName.get(row.id) as PeriodicTask;
        const lease = leaseOf('periodic_tasks', row);
        const error = await task.run().then(
          () => null,
          (failure: unknown) => (failure instanceof Error ? failure.message : String(failure)),
        );
        const now = deps.clock.now();
        await deps.db
          .updateTable('periodic_tasks')
          .set({ next_run_at: new Date(now.getTime() + task.intervalMs).toISOString(), locked_until: null, last_run_at: now.toISOString(), last_error: error })
          .where('id', '=', row.id)
          .where('locked_until', '=', lease.until)
          .execute();
      }
    },
  };
}
