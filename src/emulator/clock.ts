/**
 * The emulator's notion of "now": the injected base clock plus an offset that the control API can
 * move forward, so a test driving the emulator in another process can still make tokens age.
 */
export class EmulatorClock {
  readonly #base: () => number;
  #offsetMs = 0;

  constructor(base: () => number) {
    this.#base = base;
  }

  now(): number {
    return this.#base() + this.#offsetMs;
  }

  advance(seconds: number): void {
    this.#offsetMs += seconds * 1000;
  }
}
