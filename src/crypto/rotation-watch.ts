import { LAG_WINDOW_MS } from '../removal-log.js';
import type { StoreContext } from '../store-context.js';
import type { TimerHandle } from '../timers.js';
import { keyRotated } from './keyring.js';

/** How many lag windows a hint of a rotation is checked for before it is taken as forged. */
const HINT_CHECKS = 3;

/**
 * Tells this tab, once, of another tab's key rotation (`KEY_ROTATED` to `onError`). Only the key
 * metadata shows a rotation (any page script can post an announcement or a message), and
 * localStorage may show this tab that metadata up to a lag window after the hint arrived: a
 * hint the metadata does not confirm yet is checked again, a few lag windows at most.
 */
export class RotationWatch {
  readonly #ctx: StoreContext;
  /**
   * Reads the metadata: the generation this tab is newly known to be behind, `'behind'` when it
   * knew already, `undefined` when the metadata shows no rotation.
   */
  readonly #check: () => Promise<number | 'behind' | undefined>;
  #recheck: TimerHandle | undefined;

  constructor(ctx: StoreContext, check: () => Promise<number | 'behind' | undefined>) {
    this.#ctx = ctx;
    this.#check = check;
  }

  /**
   * Another tab hints at a rotation (an announcement, a message of a newer generation): checks
   * now and, while unconfirmed, again. `report`: tell `onError` when the check confirms it (a
   * caller that fails with `KEY_ROTATED` itself tells it).
   */
  async hinted(report = true, checks = HINT_CHECKS): Promise<void> {
    const seen = await this.#check();
    if (typeof seen === 'number' && report) this.#ctx.report(keyRotated(seen));
    if (seen !== undefined || checks <= 1 || this.#recheck !== undefined) return;
    this.#recheck = this.#ctx.timers.setTimeout(() => {
      this.#recheck = undefined;
      this.hinted(true, checks - 1).catch(() => undefined);
    }, LAG_WINDOW_MS);
  }

  /** Stops checking. */
  close(): void {
    if (this.#recheck !== undefined) this.#ctx.timers.clearTimeout(this.#recheck);
    this.#recheck = undefined;
  }
}
