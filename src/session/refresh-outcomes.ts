import { isStrataError, type StrataError } from '../errors.js';
import type { FlightOutcome } from './refresh-flight.js';
import type { RefreshSchedule } from './refresh-schedule.js';
import { backoffDelay, isVoidedBySignOut, refreshFailureOf } from './token-errors.js';
import type { TokenAnnouncer } from './token-events.js';
import type { Resolved } from './token-options.js';

/** Options of {@link RefreshOutcomes}. */
interface RefreshOutcomesOptions {
  events: TokenAnnouncer;
  schedule: RefreshSchedule;
  options: Pick<Resolved, 'checkInterval' | 'onRefreshFailed'>;
  /** Signs out for the user's sake (`onRefreshFailed` said `'logout'`). */
  forget(): Promise<void>;
}

/**
 * What follows a refresh: the events, the next check, the count of failed attempts and the
 * backoff they earn, and a client fault that stops all retries until new tokens.
 */
export class RefreshOutcomes {
  readonly #options: RefreshOutcomesOptions;
  #attempt = 0;
  #fault: StrataError | undefined;

  constructor(options: RefreshOutcomesOptions) {
    this.#options = options;
  }

  /** A refresh refused as the client's fault (`CLIENT_FAULT`): not retried until new tokens. */
  get fault(): StrataError | undefined {
    return this.#fault;
  }

  /** New tokens, or none: a client fault of the old ones is over. */
  reset(): void {
    this.#fault = undefined;
  }

  /** After a refresh that succeeded (here, in another tab, or not needed). */
  succeeded({ tokens, by }: FlightOutcome): void {
    const { events, schedule } = this.#options;
    this.#attempt = 0;
    this.#fault = undefined;
    events.renewed();
    if (by) events.refreshed(tokens, by);
    schedule.plan();
  }

  /**
   * After a failed refresh: sign-out events for an invalid grant (`signedOut`: the tokens were
   * erased under the lock), else backoff.
   */
  async failed(error: StrataError, signedOut: boolean): Promise<void> {
    const { events, schedule, options } = this.#options;
    if (isStrataError(error, 'CLIENT_FAULT')) {
      // Retrying cannot help: reported, the refresh token kept, no backoff loop.
      this.#fault = error;
      events.emit('refreshFailed', { error, attempt: ++this.#attempt, willRetry: false });
      return;
    }
    switch (refreshFailureOf(error)) {
      case 'signed-out':
        // Voided by a sign-out still underway: the tokens are still here, and due; wait for it.
        return schedule.plan(isVoidedBySignOut(error) ? options.checkInterval : undefined);
      case 'busy':
        return schedule.plan(options.checkInterval); // not a failure of the refresh
      case 'rejected':
        if (signedOut) events.emit('cleared', { reason: 'invalid_grant' });
        events.emit('refreshFailed', { error, attempt: ++this.#attempt, willRetry: false });
        return;
      case 'transient': {
        const attempt = ++this.#attempt;
        const decision = options.onRefreshFailed?.(error, attempt) ?? 'retry';
        const willRetry = decision === 'retry' && schedule.running;
        events.emit('refreshFailed', { error, attempt, willRetry });
        if (decision === 'logout') return this.#options.forget();
        return schedule.plan(backoffDelay(attempt));
      }
    }
  }
}
