import { unref, type TimerHandle, type Timers } from '../timers.js';

/** The longest delay `setTimeout` honours; longer ones fire at once. */
const MAX_TIMER = 2_147_483_647;

/** Options of {@link RefreshSchedule}. */
interface RefreshScheduleOptions {
  timers: Timers;
  /** Longest pause between checks. */
  checkInterval: number;
  /** Off: {@link RefreshSchedule.plan} never sets a timer. */
  proactive: boolean;
  /** Milliseconds until the refresh is due; `null` when unknown. */
  timeUntilRefresh: () => number | null;
  /** Runs when a planned check comes due, while running. */
  check: () => void;
}

/**
 * The proactive scheduler: one timer at a time, at the refresh time or after a backoff, capped by
 * `checkInterval`.
 */
export class RefreshSchedule {
  readonly #options: RefreshScheduleOptions;
  #timer: TimerHandle | undefined;
  #running = false;

  constructor(options: RefreshScheduleOptions) {
    this.#options = options;
  }

  /** True between {@link start} and {@link stop}. */
  get running(): boolean {
    return this.#running;
  }

  /** Starts running; false when it already was. */
  start(): boolean {
    if (this.#running) return false;
    this.#running = true;
    return true;
  }

  /** Stops running and cancels the planned check. */
  stop(): void {
    this.#running = false;
    this.cancel();
  }

  /**
   * Plans the next check: after `delay` (a backoff) or when the refresh is due, at most
   * `checkInterval` away.
   */
  plan(delay?: number): void {
    this.cancel();
    const { timers, checkInterval, proactive } = this.#options;
    if (!this.#running || !proactive) return;
    const wait =
      delay ?? Math.min(checkInterval, this.#options.timeUntilRefresh() ?? checkInterval);
    this.#timer = timers.setTimeout(
      () => {
        this.#timer = undefined;
        if (this.#running) this.#options.check();
      },
      Math.min(Math.max(wait, 0), MAX_TIMER),
    );
    unref(this.#timer);
  }

  /** Cancels the planned check, if any. */
  cancel(): void {
    if (this.#timer === undefined) return;
    this.#options.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
