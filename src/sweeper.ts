import { unref, type TimerHandle, type Timers } from './timers.js';

/** Runs `sweep` every `interval` ms, when the page is idle, until stopped. */
export class Sweeper {
  readonly #interval: number;
  readonly #timers: Timers;
  readonly #sweep: () => Promise<unknown>;
  #timer: TimerHandle;
  #stopped = false;

  constructor(interval: number, timers: Timers, sweep: () => Promise<unknown>) {
    this.#interval = interval;
    this.#timers = timers;
    this.#sweep = sweep;
  }

  /** Schedules the next sweep; a non-positive interval never sweeps. */
  start(): void {
    if (this.#interval <= 0 || this.#stopped) return;
    this.#timer = this.#timers.setTimeout(() => {
      const run = (): void => void this.#sweep().finally(() => this.start());
      // Idle time, so a large store never janks an interaction.
      if (typeof requestIdleCallback === 'function')
        requestIdleCallback(run, { timeout: this.#interval });
      else run();
    }, this.#interval);
    unref(this.#timer);
  }

  stop(): void {
    this.#stopped = true;
    this.#timers.clearTimeout(this.#timer);
  }
}
