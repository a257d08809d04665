import { StrataError } from '../errors.js';
import { withLockOr } from '../sync/lock.js';
import { sleep, type Timers } from '../timers.js';
import { signingOut } from './sign-out-lock.js';
import { isInvalidGrant, refreshError, superseded, voidedBySignOut } from './token-errors.js';
import type { TokenStore } from './token-store.js';
import type { HeldTokens } from './token-types.js';

/**
 * What work under the refresh lock gives back: the tokens, whether they are new, what to run once
 * they are saved.
 */
export interface LockedResult {
  tokens: HeldTokens;
  didRefresh: boolean;
  commit?: (() => Promise<void>) | undefined;
}

/** How a refresh under the lock ended, told to the {@link FlightHost} once the lock is released. */
export interface FlightOutcome {
  tokens: HeldTokens;
  /** Who refreshed: this tab, another tab meanwhile, or nobody (the tokens were fresh). */
  by: 'this-tab' | 'other-tab' | undefined;
}

/** What a {@link RefreshFlight} asks of the manager it serves. */
interface FlightHost {
  /** Signs out and erases the stored tokens (run under the lock, after an invalid grant). */
  erase(): Promise<unknown>;
  /** After the lock is released, when the work succeeded. */
  succeeded(outcome: FlightOutcome): void;
  /**
   * After the lock is released, when it failed; `signedOut`: the tokens were erased. Runs before
   * the caller sees the error.
   */
  failed(error: StrataError, signedOut: boolean): Promise<void>;
}

/** Options of {@link RefreshFlight}. */
interface RefreshFlightOptions {
  store: TokenStore;
  host: FlightHost;
  /** The cross-tab lock every tab of this namespace and prefix refreshes under. */
  lockName: string;
  /** The lock a tab signing out holds (see `sign-out-lock.ts`): a refresh meanwhile is void. */
  signOutLockName: string;
  lockTimeout: number;
  timers: Timers;
}

/** How long a tab waits for another tab's rotated tokens to reach it. */
const CATCH_UP_MS = 3_000;
const CATCH_UP_POLL_MS = 15;

/**
 * The refresh as a single flight: concurrent callers in a tab share one promise; across
 * tabs a lock lets one tab call the server while the others wait, then read its result
 * (catching up with a rotation the marker announces), so a rotating refresh token is never
 * spent twice. A result is dropped when the user signed out or in meanwhile (supersession),
 * and when a sign-out is underway in any tab (it waits for this lock, then revokes): the
 * refresh then rejects with `NOT_AUTHENTICATED` instead of handing out doomed tokens.
 */
export class RefreshFlight {
  readonly #options: RefreshFlightOptions;
  #inflight: Promise<HeldTokens> | undefined;

  constructor(options: RefreshFlightOptions) {
    this.#options = options;
  }

  /** Runs `work` under {@link locked}, shared with every caller until it settles. */
  single(work: (current: HeldTokens) => Promise<LockedResult>): Promise<HeldTokens> {
    this.#inflight ??= this.locked(work).finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  /**
   * Runs `work` alone among the tabs: under the refresh lock, waiting at most `lockTimeout`; when
   * the lock does not come, `otherwise` runs instead, else it rejects with `LOCK_TIMEOUT`.
   */
  exclusive<T>(work: () => Promise<T>, otherwise?: () => Promise<T>): Promise<T> {
    const { lockName, lockTimeout } = this.#options;
    return withLockOr(lockName, work, otherwise, { timeout: lockTimeout });
  }

  /** Whether a sign-out is underway in this or another tab. */
  signingOut(): Promise<boolean> {
    return signingOut(this.#options.signOutLockName);
  }

  /**
   * Runs `work` under the cross-tab refresh lock with the tokens as they are now (re-read
   * from storage, waiting for another tab's rotation to arrive). Saves what it returns,
   * then, after the lock is released, tells the host of the success or the failure.
   */
  async locked(work: (current: HeldTokens) => Promise<LockedResult>): Promise<HeldTokens> {
    const { store, host } = this.#options;
    let outcome: FlightOutcome;
    let signedOut = false;
    // Known before any sign-out below forgets them, so no error can show them.
    const secrets = store.secrets();
    try {
      outcome = await this.exclusive(async () => {
        const generation = store.generation;
        const before = store.held?.refreshToken;
        const current = await this.#currentUnderLock();
        if (!current)
          throw new StrataError('NOT_AUTHENTICATED', 'Signed out: there are no tokens to refresh.');
        if (await this.signingOut()) throw voidedBySignOut(); // nothing is spent on doomed tokens
        const marker = await store.readMarker();
        // No sign-in or sign-out anywhere since `current`; a doubt counts as unchanged.
        const unchanged = async (): Promise<boolean> =>
          generation === store.generation &&
          (await store.readMarker()) === marker &&
          (await store.refreshKeyHolds(current)) !== false;
        let result: LockedResult;
        try {
          result = await work(current);
        } catch (error) {
          if (isInvalidGrant(error) && (await this.signingOut())) throw voidedBySignOut();
          if (isInvalidGrant(error) && !(await unchanged())) throw superseded();
          if (isInvalidGrant(error)) {
            await host.erase();
            signedOut = true;
          }
          throw error;
        }
        if (result.didRefresh) {
          if (await this.signingOut()) throw voidedBySignOut();
          // A change that left `current` the stored tokens (the marker of its own sign-in landing
          // late) supersedes nothing: its token is spent now, and this result is its successor.
          if (!(await unchanged()) && !(await this.#stillStored(current))) throw superseded();
          await store.save(result.tokens);
          await result.commit?.();
          // A sign-out that began while saving erases these tokens as soon as the lock is free.
          if (await this.signingOut()) throw voidedBySignOut();
          return { tokens: result.tokens, by: 'this-tab' as const };
        }
        const byOther = before !== undefined && current.refreshToken !== before;
        return { tokens: result.tokens, by: byOther ? ('other-tab' as const) : undefined };
      });
    } catch (error) {
      const wrapped = refreshError(error, secrets);
      await host.failed(wrapped, signedOut);
      throw wrapped;
    }
    host.succeeded(outcome);
    return outcome.tokens;
  }

  /** Whether shared storage still holds `current` (its refresh key and the marker name it). */
  async #stillStored(current: HeldTokens): Promise<boolean> {
    const { store } = this.#options;
    return (
      (await store.refreshKeyHolds(current)) === true &&
      (await store.matchesMarker(current, await store.readMarker()))
    );
  }

  /**
   * Tokens read under the lock. When the marker says another tab rotated, waits for that tab's
   * tokens to reach this one.
   */
  async #currentUnderLock(): Promise<HeldTokens | undefined> {
    const { store, timers } = this.#options;
    const marker = await store.readMarker();
    // Real time bounds it (an injected clock may stand still), and so do the polls (fake timers).
    const deadline = performance.now() + CATCH_UP_MS;
    for (let waited = 0; ; waited += CATCH_UP_POLL_MS) {
      const current = await store.load({ fresh: true, strict: true });
      if (await store.matchesMarker(current, marker)) return current;
      if (waited >= CATCH_UP_MS || performance.now() >= deadline) {
        throw new StrataError(
          'REFRESH_FAILED',
          'Another tab rotated the refresh token, but its new tokens did not arrive here; not spending the old one.',
        );
      }
      await sleep(timers, CATCH_UP_POLL_MS);
    }
  }
}
