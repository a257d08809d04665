/**
 * strata-storage: session state for single-page apps. Layered browser storage with
 * AES-GCM at rest, TTL, tags, cross-tab sync, and the session layer built on it.
 * React bindings live in `strata-storage/react`.
 * @packageDocumentation
 * @module strata-storage
 */
export { Strata, type StrataEvents, type StrataStatus, type LayerStatus } from './strata.js';
export { StrataError, isStrataError, type StrataErrorCode } from './errors.js';
export type {
  StorageKind,
  StrataOptions,
  EncryptionOptions,
  TtlOptions,
  SyncOptions,
  SetOptions,
  ItemInfo,
  ClearFilter,
  StorageChange,
  ChangeListener,
} from './types.js';
export type { ChannelTransport, ChannelTransportFactory } from './sync/transport.js';
export { withLock, onceAcrossTabs, type LockOptions, type SharedResult } from './sync/lock.js';

// sessions: auth
export {
  TokenManager,
  isInvalidGrant,
  type TokenManagerOptions,
  type TokenManagerOAuth,
  type TokenResponse,
  type HeldTokens,
  type TokenStatus,
  type TokenEvents,
} from './session/token-manager.js';
export { AuthSession } from './session/auth-session.js';
export type {
  AuthSessionOptions,
  AuthState,
  SessionUser,
  UserSession,
  RestoreGuard,
} from './session/auth-types.js';
export {
  httpRefresh,
  httpRestore,
  httpRevoke,
  type HttpRefreshOptions,
} from './session/http-refresh.js';

// sessions: the session patterns (guest migration, analytics, server sync, fingerprint)
export {
  SessionManager,
  createSessionId,
  type SessionManagerOptions,
} from './session/session-manager.js';
export {
  migrateGuestToUser,
  mergeArrayBy,
  preferExisting,
  preferIncoming,
  type Merger,
  type MigrateOptions,
  type MigrationResult,
} from './session/migrate.js';
export {
  ServerSyncedSession,
  mergeServerSession,
  type ServerSyncedSessionOptions,
  type ServerSyncedSessionEvents,
  type SyncedSessionData,
  type SessionMerge,
  type SyncOutcome,
} from './session/server-synced-session.js';
export {
  SessionFingerprint,
  currentTraits,
  type FingerprintTraits,
  type SessionFingerprintOptions,
} from './session/fingerprint.js';
export {
  SessionAnalytics,
  type SessionAnalyticsOptions,
  type SessionAnalyticsEvents,
  type AnalyticsEvent,
  type FlushResult,
} from './session/analytics.js';
export { RetryQueue, type RetryQueueOptions, type QueuedItem } from './session/retry-queue.js';
export type { IntervalTimers, Timers } from './timers.js';
export type { StrataLike } from './session/strata-like.js';
export type { FetchLike, AuthenticatedFetcher } from './session/transport.js';
