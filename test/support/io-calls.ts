import { readFileSync } from 'node:fs';

/**
 * The read or the write system calls this process has made so far (Linux's /proc/self/io: files and
 * sockets alike), for tests that assert what SQLite asks of the kernel (docs/performance.md,
 * "Eighteenth round" and "Nineteenth round").
 */
export function ioCallsSoFar(kind: 'read' | 'write'): number {
  const field = kind === 'read' ? 'syscr' : 'syscw';
  return Number(new RegExp(`^${field}: (\\d+)$`, 'm').exec(readFileSync('/proc/self/io', 'utf8'))?.[1]);
}
