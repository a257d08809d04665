// Login rate limit of the reference auth server: failed logins counted per username and per
// client address over a sliding window; over the limit, logins answer 429 until the oldest
// failure leaves the window. All times come from the injected clock.

/** Keys kept before expired ones are swept, so a flood of usernames cannot grow the map unbounded. */
const SWEEP_AT = 10_000;

/** Failed-login bookkeeping: epoch-ms times of recent failures per key. */
export class LoginLimiter {
  /** @type {Map<string, number[]>} */
  #failures = new Map();
  #perUsername;
  #perAddress;
  #windowMs;
  #clock;

  /**
   * @param {{ perUsername: number, perAddress: number, windowMs: number, clock: () => number }} options
   */
  constructor({ perUsername, perAddress, windowMs, clock }) {
    this.#perUsername = perUsername;
    this.#perAddress = perAddress;
    this.#windowMs = windowMs;
    this.#clock = clock;
  }

  /**
   * Milliseconds until a login of `username` from `address` is allowed again; 0 when it is now.
   * @param {string} username
   * @param {string} address
   */
  retryAfter(username, address) {
    const now = this.#clock();
    return Math.max(
      this.#wait(`user:${username}`, this.#perUsername, now),
      this.#wait(`addr:${address}`, this.#perAddress, now),
    );
  }

  /**
   * Counts a failed login of `username` from `address`.
   * @param {string} username
   * @param {string} address
   */
  failed(username, address) {
    const now = this.#clock();
    if (this.#failures.size >= SWEEP_AT) this.#sweep(now);
    for (const key of [`user:${username}`, `addr:${address}`]) {
      const times = this.#recent(key, now);
      times.push(now);
      this.#failures.set(key, times);
    }
  }

  /**
   * Forgets the failures of `username` after a successful login (the address keeps its own).
   * @param {string} username
   */
  succeeded(username) {
    this.#failures.delete(`user:${username}`);
  }

  /** @param {string} key @param {number} limit @param {number} now */
  #wait(key, limit, now) {
    const times = this.#recent(key, now);
    if (times.length < limit) return 0;
    // The attempt is allowed again once enough failures have aged out of the window.
    return times[times.length - limit] + this.#windowMs - now;
  }

  /** The failure times of `key` still inside the window. @param {string} key @param {number} now */
  #recent(key, now) {
    const times = (this.#failures.get(key) ?? []).filter((at) => at > now - this.#windowMs);
    if (times.length === 0) this.#failures.delete(key);
    else this.#failures.set(key, times);
    return times;
  }

  /** @param {number} now */
  #sweep(now) {
    for (const key of [...this.#failures.keys()]) this.#recent(key, now);
  }
}
