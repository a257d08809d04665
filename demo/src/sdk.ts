import { AuthSession, Strata, TokenManager } from 'strata-storage';
import { OAuthClient } from 'strata-storage/oauth';

declare const __DEMO_ISSUER__: string;

/**
 * The demo's session layer: one encrypted, synced Strata (device key, localStorage with
 * IndexedDB as fallback), an OAuthClient for the demo's oidc-provider with DPoP-bound tokens,
 * a TokenManager refreshing and revoking through it, and an AuthSession signed in from the
 * id_token's claims (restored by a refresh when the session is gone).
 */
export const store = new Strata({
  namespace: 'strata-demo',
  defaultStorage: 'localStorage',
  fallbackStorage: ['indexedDB'],
  encryption: { enabled: true },
  sync: { enabled: true },
  ttl: { cleanupInterval: 60_000 },
});

/** The authorization server (its login page, token and revocation endpoints). */
export const ISSUER = __DEMO_ISSUER__;

export const oauth = new OAuthClient({
  issuer: ISSUER,
  clientId: 'strata-demo',
  scope: 'openid profile email roles',
  storage: store,
  dpop: true,
});

export const tokens = new TokenManager({
  storage: store,
  oauth,
  refreshBuffer: 60_000,
  checkInterval: 5_000,
});

export const auth = new AuthSession({
  storage: store,
  tokens,
  // The provider puts the profile and email scopes' claims into the id_token.
  userFromClaims: (claims) => ({
    userId: String(claims.sub),
    username: String(claims.preferred_username ?? claims.sub),
    name: String(claims.name ?? claims.sub),
    ...(typeof claims.email === 'string' ? { email: claims.email } : {}),
    roles: Array.isArray(claims.roles) ? claims.roles.map(String) : [],
  }),
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
