import type { StrataError } from '../errors.js';
import { Emitter } from '../events.js';
import type { AuthState } from './auth-types.js';

/**
 * The observable state of an `AuthSession`: what `getState()` gives and subscribers hear, with a
 * client fault of the tokens folded into an authenticated state as its `error`.
 */
export class AuthStateCell {
  readonly #events = new Emitter<{ change: AuthState }>();
  #state: AuthState = { status: 'loading', session: null };
  /** The `CLIENT_FAULT` of the last refresh: no new access token can be had until new tokens. */
  #fault: StrataError | undefined;

  /** The state now. */
  get current(): AuthState {
    return this.#state;
  }

  /** Calls `listener` with each new state. */
  subscribe(listener: (state: AuthState) => void): () => void {
    return this.#events.on('change', listener);
  }

  /** Moves to `next`; a sign-in or sign-out (`fresh`) also ends a client fault. */
  set(next: AuthState, fresh = false): void {
    if (fresh) this.#fault = undefined;
    const state =
      next.status === 'authenticated' && this.#fault ? { ...next, error: this.#fault } : next;
    // Each read gives a new object: only a real change is news to subscribers.
    if (
      state.status === this.#state.status &&
      state.error === this.#state.error &&
      state.reason === this.#state.reason &&
      JSON.stringify(state.session) === JSON.stringify(this.#state.session)
    )
      return;
    this.#state = state;
    this.#events.emit('change', state);
  }

  /** Records (or, `undefined`, ends) a client fault of the tokens. */
  setFault(fault: StrataError | undefined): void {
    if (this.#fault === fault) return;
    this.#fault = fault;
    if (this.#state.status !== 'authenticated') return;
    const { error: _previous, ...rest } = this.#state;
    this.set(rest);
  }
}
