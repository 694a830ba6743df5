import type { Engine } from '../src/db/database.ts';

/**
 * What every drill gets and gives back. A drill exercises the running server the way an attacker
 * or a crash would, counts what it tried (figures) and every broken promise (violations); the
 * runner prints both and exits non-zero on any violation.
 */
export interface DrillContext {
  engine: Engine;
  /** `--quick` (inside `npm test`): fewer inputs and trials, same checks. */
  quick: boolean;
  /** Seed for the drills that draw random inputs (printed, so a failure can be replayed). */
  seed: number;
  log(message: string): void;
}

export interface DrillReport {
  figures: Array<[string, string | number]>;
  violations: Violations;
}

export interface Drill {
  name: string;
  /**
   * `in-process` drills keep the CPU busy; `processes` drills drive real servers and mostly
   * wait (for a process to start, for a lease to lapse). The runner overlaps the two kinds.
   */
  kind: 'in-process' | 'processes';
  run(context: DrillContext): Promise<DrillReport>;
}

/** Every violation counted; the first few kept word for word for the report. */
export class Violations {
  readonly shown: string[] = [];
  count = 0;

  add(message: string): void {
    this.count += 1;
    if (this.shown.length < 15) this.shown.push(message.length > 600 ? `${message.slice(0, 600)}…` : message);
  }
}

/** A small seeded PRNG (mulberry32): the same seed draws the same inputs. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)] as (typeof items)[number],
    chance: (p) => next() < p,
  };
}

export interface Random {
  next(): number;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}
