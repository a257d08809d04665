/**
 * React bindings of strata-storage: `SessionProvider`, `useSession()` and
 * `useStrataValue()`. State lives in a zustand vanilla store per AuthSession, read through
 * React's external-store subscription; nothing here touches a browser API during render.
 * @packageDocumentation
 * @module strata-storage/react
 */
export {
  SessionProvider,
  type SessionProviderProps,
  type SessionContextValue,
} from './session-context.js';
export { useSession, type UseSessionResult } from './use-session.js';
export { useStrataValue } from './use-strata-value.js';
export { sessionStore } from './session-store.js';
