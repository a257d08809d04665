// Request counters of the reference auth server, per username and in total.

/** @typedef {import('./auth-server.d.mts').Stats} Stats */

/** @returns {Stats} */
function emptyStats() {
  return {
    logins: 0,
    refreshRequests: 0,
    refreshes: 0,
    reuseDetected: 0,
    revokedFamilies: 0,
    meRequests: 0,
    syncRequests: 0,
    analyticsEvents: 0,
    lastRefreshAt: null,
  };
}

/** Counters per username plus global totals. */
export class StatsBook {
  /** @type {Map<string, Stats>} */
  #byUser = new Map();
  #total = emptyStats();

  /**
   * Adds `amount` to `counter` of `username` (when known) and of the totals.
   * @param {string | undefined} username
   * @param {Exclude<keyof Stats, 'lastRefreshAt'>} counter
   * @param {number} [amount]
   */
  count(username, counter, amount = 1) {
    this.#total[counter] += amount;
    if (username !== undefined) this.#of(username)[counter] += amount;
  }

  /**
   * Records a successful refresh at `at` (epoch ms).
   * @param {string} username
   * @param {number} at
   */
  refreshed(username, at) {
    this.count(username, 'refreshes');
    this.#total.lastRefreshAt = at;
    this.#of(username).lastRefreshAt = at;
  }

  /**
   * A copy of the counters of `username`, or of the totals without one.
   * @param {string} [username]
   * @returns {Stats}
   */
  get(username) {
    if (username === undefined) return { ...this.#total };
    return { ...(this.#byUser.get(username) ?? emptyStats()) };
  }

  /** @param {string} username */
  #of(username) {
    let stats = this.#byUser.get(username);
    if (!stats) {
      stats = emptyStats();
      this.#byUser.set(username, stats);
    }
    return stats;
  }
}
