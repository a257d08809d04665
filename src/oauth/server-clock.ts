import { readJwtTimes } from '../session/jwt.js';

/** Closer than this (seconds), the page's clock is used as it is: latency and rounding. */
const TOLERANCE_S = 5;
/** Farther than this, an `iat` is no clock sample (a token issued long ago, a wrong value). */
const MAX_OFFSET_S = 7 * 24 * 60 * 60;

/** Seconds each authorization server's clock runs ahead of this page's (negative: behind). */
const offsets = new Map<string, number>();

/**
 * The clock of the authorization server `server`, as this page sees it: how many seconds it runs
 * ahead of the page (0 within a few seconds), learned from the `iat` of a token it has just
 * issued. DPoP proofs are stamped by it (oauth4webapi's `clockSkew`), so a page whose clock is
 * minutes off still sends proofs a resource server that checks `iat` accepts. Shared by every
 * client of that server in the tab.
 */
export class ServerClock {
  readonly #server: string;

  constructor(server: string) {
    this.#server = server;
  }

  /** Seconds to add to the page's clock for the server's time. */
  get offset(): number {
    return offsets.get(this.#server) ?? 0;
  }

  /**
   * Learns from the first of `tokens` that is a JWT with an `iat`, issued just now (`now`: the
   * page's clock, epoch ms). A sample beyond a week is ignored.
   */
  learn(tokens: Array<string | undefined>, now = Date.now()): void {
    for (const token of tokens) {
      const iat = token === undefined ? undefined : readJwtTimes(token)?.iat;
      if (iat === undefined) continue;
      const measured = Math.round(iat - now / 1000);
      if (Math.abs(measured) > MAX_OFFSET_S) return;
      offsets.set(this.#server, Math.abs(measured) < TOLERANCE_S ? 0 : measured);
      return;
    }
  }
}
