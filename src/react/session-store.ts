import { createStore, type StoreApi } from 'zustand/vanilla';
import type { AuthSession } from '../session/auth-session.js';
import type { AuthState } from '../session/auth-types.js';

/** What `useSession()` reads before the session is known, and on the server. */
export const LOADING_STATE: AuthState = Object.freeze({
  status: 'loading',
  session: null,
}) as AuthState;

const stores = new WeakMap<AuthSession, StoreApi<AuthState>>();

/**
 * The zustand vanilla store of one {@link AuthSession}: one per session however many
 * providers or hooks use it, fed by `auth.subscribe`, so every component (and, through
 * the session's cross-tab sync, every tab) sees one state.
 */
export function sessionStore(auth: AuthSession): StoreApi<AuthState> {
  let store = stores.get(auth);
  if (!store) {
    const created = createStore<AuthState>(() => auth.getState());
    auth.subscribe((state) => created.setState(state, true));
    stores.set(auth, created);
    store = created;
  }
  return store;
}
