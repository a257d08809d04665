import type { StrataError } from '../errors.js';
import type { StrataLike } from '../session/strata-like.js';
import type { TokenResponse } from '../session/token-types.js';

/** Options of `OAuthClient`. */
export interface OAuthClientOptions {
  /**
   * The authorization server's issuer identifier. Its metadata is discovered at
   * `/.well-known/openid-configuration`, else at RFC 8414's `oauth-authorization-server`, unless
   * the endpoints are given explicitly.
   */
  issuer?: string;
  /** Explicit endpoints: with `tokenEndpoint` (or `authorizationEndpoint`) set, nothing is discovered. */
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  revocationEndpoint?: string;
  /** The JWKS that signs id_tokens, when the endpoints are explicit. */
  jwksUri?: string;
  /** A public client: the SDK never holds a client secret. */
  clientId: string;
  /** Where the server sends the browser back. Default: this page's origin and path. */
  redirectUri?: string;
  /** Default `'openid'`. With `openid`, a `nonce` is sent and an id_token is required. */
  scope?: string;
  /**
   * RFC 9449: a non-extractable P-256 key pair kept in IndexedDB per namespace; every token
   * request and `resourceFetch` carries a proof, and the tokens are bound to the key.
   */
  dpop?: boolean;
  /** Where the PKCE verifier, `state` and `nonce` live until the callback (encrypted when it is). */
  storage: Pick<StrataLike, 'namespace' | 'get' | 'set' | 'remove'>;
  /** The fetch for every request to the authorization server. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /**
   * Milliseconds to wait for a server's response headers (the body is never cut short: a
   * rotated refresh token that arrived is kept). Default 15,000.
   */
  timeout?: number;
  /** Lifetime of a pending sign-in (verifier, state, nonce) in ms. Default 600,000. */
  pendingTtl?: number;
  /**
   * Reports failures that did not throw: an id_token in a refresh answer that failed validation
   * (its tokens are kept, the id_token dropped). No error carries a token.
   */
  onError?: (error: StrataError) => void;
}

/** Options of `OAuthClient.authorizationUrl`. */
export interface AuthorizationUrlOptions {
  prompt?: string;
  /** Extra authorization request parameters (they cannot replace the PKCE, state or nonce ones). */
  params?: Record<string, string>;
}

/** What the token endpoint answered, camelCase as everywhere in the SDK. */
export interface OAuthTokenResponse extends TokenResponse {
  tokenType: 'Bearer' | 'DPoP';
  scope?: string;
}

/** What `OAuthClient.handleCallback` resolves with. */
export interface CallbackResult {
  tokens: OAuthTokenResponse;
  /** The validated id_token's claims; `null` without an id_token. */
  claims: Record<string, unknown> | null;
}
