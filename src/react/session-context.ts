import {
  createContext,
  createElement,
  useEffect,
  useMemo,
  type ReactElement,
  type ReactNode,
} from 'react';
import type { StoreApi } from 'zustand/vanilla';
import type { AuthSession } from '../session/auth-session.js';
import type { AuthState } from '../session/auth-types.js';
import type { TokenManager } from '../session/token-manager.js';
import { sessionStore } from './session-store.js';

/** What {@link SessionProvider} hands to `useSession()`. */
export interface SessionContextValue {
  auth: AuthSession;
  tokens: TokenManager | undefined;
  store: StoreApi<AuthState>;
}

/** @internal The context `useSession()` reads. */
export const SessionContext = createContext<SessionContextValue | null>(null);

/** Props of {@link SessionProvider}. */
export interface SessionProviderProps {
  /** The session `useSession()` reads and acts on below this provider. */
  auth: AuthSession;
  /** Used by `refresh()`; defaults to the AuthSession's own TokenManager. */
  tokens?: TokenManager;
  /** The components that may call `useSession()`. */
  children?: ReactNode;
}

/**
 * Makes an {@link AuthSession} available to `useSession()` below it. After mounting (never
 * during render, so server rendering touches no browser API) it resolves the initial
 * state; a StrictMode double effect joins the same `initialize()` instead of reading twice.
 */
export function SessionProvider({ auth, tokens, children }: SessionProviderProps): ReactElement {
  const value = useMemo<SessionContextValue>(
    () => ({ auth, tokens: tokens ?? auth.tokens, store: sessionStore(auth) }),
    [auth, tokens],
  );
  useEffect(() => {
    if (auth.getState().status === 'loading') void auth.initialize();
  }, [auth]);
  return createElement(SessionContext.Provider, { value }, children);
}
