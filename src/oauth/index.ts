/**
 * strata-storage/oauth: an OAuth 2.0 / OpenID Connect public client on `oauth4webapi`
 * (authorization code + PKCE, refresh, revocation, DPoP) for `TokenManager`.
 * @packageDocumentation
 * @module strata-storage/oauth
 */
export { OAuthClient } from './oauth-client.js';
export type {
  AuthorizationUrlOptions,
  CallbackResult,
  OAuthClientOptions,
  OAuthTokenResponse,
  OAuthTokenResponse as TokenResponse,
} from './oauth-types.js';
