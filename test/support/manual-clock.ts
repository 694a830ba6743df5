import type { Clock } from '../../src/clock.ts';

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  #now: number;

  constructor(start: Date | string = '2026-11-24T12:00:00.000Z') {
    this.#now = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.#now);
  }

  advance(ms: number): void {
    this.#now += ms;
  }
}
