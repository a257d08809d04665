import { useCallback, useContext, useMemo, useSyncExternalStore } from 'react';
import { StrataError } from '../errors.js';
import type { AuthState, SessionUser, UserSession } from '../session/auth-types.js';
import type { TokenResponse } from '../session/token-manager.js';
import { SessionContext } from './session-context.js';
import { LOADING_STATE } from './session-store.js';

/** What {@link useSession} returns. */
export interface UseSessionResult {
  /** `'loading'` until known (always on the server), then `'authenticated'` or `'unauthenticated'`. */
  status: AuthState['status'];
  /** The signed-in user's session; `null` unless authenticated. */
  session: UserSession | null;
  /** `status === 'authenticated'`. */
  isAuthenticated: boolean;
  /** Why the session could not be read at start-up (wrong password, storage unavailable); the status is then `'unauthenticated'`. */
  error: StrataError | null;
  /** `AuthSession.login`: signs in here and, with sync on, in every tab. */
  login: (
    user: SessionUser,
    options?: { rememberMe?: boolean; tokens?: TokenResponse },
  ) => Promise<void>;
  /** `AuthSession.logout`: signs out here and, with sync on, in every tab. */
  logout: (options?: { destroyKey?: boolean }) => Promise<void>;
  /**
   * Refreshes the tokens now (when a TokenManager is known) and re-reads the session.
   * Rejects with the refresh's error (`NOT_AUTHENTICATED` when there is no refresh token)
   * without re-reading.
   */
  refresh: () => Promise<void>;
  /** Whether the session's permissions include `permission` (`false` when signed out). */
  hasPermission: (permission: string) => boolean;
}

/**
 * The session of the nearest {@link SessionProvider}: `'loading'` until known (and always
 * on the server), then `'authenticated'` or `'unauthenticated'`; a login or logout in any
 * tab re-renders every tab when the Strata has `sync.enabled`. Throws `INVALID_OPTIONS`
 * outside a provider.
 */
export function useSession(): UseSessionResult {
  const context = useContext(SessionContext);
  if (!context)
    throw new StrataError(
      'INVALID_OPTIONS',
      'useSession() must be called inside <SessionProvider auth={…}>.',
    );
  const { auth, tokens, store } = context;
  const state = useSyncExternalStore(store.subscribe, store.getState, () => LOADING_STATE);
  const login = useCallback<UseSessionResult['login']>(
    (user, options) => auth.login(user, options),
    [auth],
  );
  const logout = useCallback<UseSessionResult['logout']>((options) => auth.logout(options), [auth]);
  const refresh = useCallback(async () => {
    if (tokens) await tokens.refresh({ force: true });
    await auth.getSession();
  }, [auth, tokens]);
  return useMemo(() => {
    const permissions = state.session?.permissions ?? [];
    return {
      status: state.status,
      session: state.session,
      isAuthenticated: state.status === 'authenticated',
      error: state.error ?? null,
      login,
      logout,
      refresh,
      hasPermission: (permission: string) => permissions.includes(permission),
    };
  }, [state, login, logout, refresh]);
}
