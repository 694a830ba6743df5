import { readFileSync } from 'node:fs';

/**
 * What the benchmarks read of a server process from Linux's /proc (each answers null elsewhere):
 * its CPU time, its read and write system calls (on the benchmark machine a system call costs 4–5 µs,
 * and their count does not move with the machine's other work; docs/performance.md, "Eighteenth
 * round"), and its resident memory.
 */

/** CPU time (user + system) a process has used so far, in µs (clock ticks of 10 ms). */
export function cpuMicros(pid: number): number | null {
  try {
    // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return null;
  }
}

/** Read and write system calls a process has made so far, sockets and files alike. */
export function ioCalls(pid: number): number | null {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    return Number(/^syscr: (\d+)$/m.exec(io)?.[1]) + Number(/^syscw: (\d+)$/m.exec(io)?.[1]);
  } catch {
    return null;
  }
}

/** Resident memory of a process in MB. */
export function rssMb(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : null;
  } catch {
    return null;
  }
}
