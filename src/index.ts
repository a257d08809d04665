/**
 * strata-storage: session state for single-page apps. Layered browser storage with
 * AES-GCM at rest, TTL, tags, cross-tab sync, and the session layer built on it.
 * React bindings live in `strata-storage/react`.
 * @packageDocumentation
 */
export { Strata, type StrataEvents } from './strata.js';
export { StrataError, isStrataError, type StrataErrorCode } from './errors.js';
export type {
  StorageKind,
  StrataOptions,
  EncryptionOptions,
  TtlOptions,
  SyncOptions,
  SetOptions,
  ClearFilter,
  StorageChange,
  ChangeListener,
} from './types.js';
export { withLock, onceAcrossTabs, type LockOptions, type SharedResult } from './sync/lock.js';

// sessions: auth
export { TokenManager, isInvalidGrant, type TokenManagerOptions, type TokenResponse, type HeldTokens, type TokenStatus, type TokenEvents } from './session/token-manager.js';
export { AuthSession, type AuthSessionOptions, type AuthState, type SessionUser, type UserSession, type RestoreGuard } from './session/auth-session.js';
export { httpRefresh, httpRestore, type HttpRefreshOptions } from './session/http-refresh.js';
