import type { RefreshSchedule } from './refresh-schedule.js';
import type { TokenAnnouncer } from './token-events.js';
import type { TokenStore } from './token-store.js';

/** Options of {@link TokenFollower}. */
interface TokenFollowerOptions {
  store: TokenStore;
  events: TokenAnnouncer;
  schedule: RefreshSchedule;
  /** Signs this tab out (the manager's one reset); true when it held tokens. */
  signOut(): boolean;
}

/**
 * Keeps a tab's tokens in step with the other tabs: a sign-out there signs this tab out
 * (`cleared`, reason `remote`), a refresh there is read again and told (`refreshed`, by
 * `other-tab`), a lost key drops the copy held (`cleared`, reason `key_lost`).
 */
export class TokenFollower {
  readonly #options: TokenFollowerOptions;
  readonly #unfollow: () => void;
  #rereading: Promise<void> | undefined;
  /** Changed again while being read; `access`: the access record among the changes. */
  #rereadAgain: { access: boolean } | undefined;

  constructor(options: TokenFollowerOptions) {
    this.#options = options;
    const { store, events } = options;
    this.#unfollow = store.follow({
      signedOutElsewhere: () => {
        if (options.signOut()) events.emit('cleared', { reason: 'remote' });
      },
      changedElsewhere: (isAccess) => this.#reread(isAccess),
      keyLost: () => {
        if (!store.held) return;
        store.apply({ type: 'stale' });
        events.emit('cleared', { reason: 'key_lost' });
      },
    });
  }

  /** Settles once the tokens another tab wrote have been read here. */
  settled(): Promise<void> | undefined {
    return this.#rereading;
  }

  /** Stops following. */
  dispose(): void {
    this.#unfollow();
  }

  /**
   * One read at a time, the last after the last change heard (a refresh writes three keys, each
   * heard on its own); the copy held meanwhile stays, so `status()` never blanks out.
   */
  #reread(isAccess: boolean): void {
    this.#rereadAgain = { access: (this.#rereadAgain?.access ?? false) || isAccess };
    this.#rereading ??= this.#rereadAll();
  }

  async #rereadAll(): Promise<void> {
    const { store, events, schedule } = this.#options;
    try {
      for (let again = this.#rereadAgain; again; again = this.#rereadAgain) {
        this.#rereadAgain = undefined;
        const held = await store.load({ fresh: true }).catch(() => undefined);
        // The access record is written last: once it changed, the others match it. A sign-in
        // elsewhere is not a refresh (only a refresh or restore sets `lastRefreshAt`); the
        // announcer tells each new access token once.
        if (again.access && held?.accessToken && held.lastRefreshAt !== null)
          events.refreshed(held, 'other-tab');
      }
      schedule.plan();
    } finally {
      this.#rereading = undefined; // in the step that found nothing more to read
    }
  }
}
