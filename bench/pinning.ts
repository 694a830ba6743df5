import { execFileSync } from 'node:child_process';
import os from 'node:os';

/**
 * The measurement: the server on one core, whatever loads it (autocannon, the webhook
 * receiver) on the other. Child processes inherit their parent's cores, so a server started by a
 * pinned bench process shares the load generator's core until it is pinned itself.
 */
export const SERVER_CPU = 0;
export const LOAD_CPU = 1;

/** Pins a process and all its threads to one core; false where taskset is missing or the core is not there. */
export function pin(pid: number, cpu: number): boolean {
  if (os.cpus().length <= cpu) return false;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
