import {
  AuthSession,
  Strata,
  TokenManager,
  httpRefresh,
  httpRestore,
  httpRevoke,
} from 'strata-storage';

/**
 * The demo's session layer: one encrypted, synced Strata (device key, localStorage with
 * IndexedDB as fallback), a TokenManager talking to the reference server, and an
 * AuthSession that restores from the refresh token.
 */
export const store = new Strata({
  namespace: 'strata-demo',
  defaultStorage: 'localStorage',
  fallbackStorage: ['indexedDB'],
  encryption: { enabled: true },
  sync: { enabled: true },
  ttl: { cleanupInterval: 60_000 },
});

export const tokens = new TokenManager({
  storage: store,
  refresh: httpRefresh('/api/auth/refresh'),
  revoke: httpRevoke('/api/auth/logout'),
  refreshBuffer: 60_000,
  checkInterval: 5_000,
});

export const auth = new AuthSession({
  storage: store,
  tokens,
  restore: httpRestore('/api/auth/refresh'),
});

/** A cart line. */
export interface CartItem {
  id: string;
  name: string;
  qty: number;
}

/** Where the cart lives: `guest:cart` signed out, `user:<id>:cart` signed in. */
export const cartKey = (userId: string | undefined): string =>
  userId ? `user:${userId}:cart` : 'guest:cart';
