import * as oauth from 'oauth4webapi';
import { StrataError } from '../errors.js';
import { dpopResourceRequest, DPoPSigner, withNonce } from './dpop-signer.js';
import { isLoopback, requestOptions, type RequestOptions } from './http.js';
import {
  describe,
  exchangeFailure,
  failureOf,
  oauthError,
  refreshFailure,
} from './oauth-errors.js';
import type {
  AuthorizationUrlOptions,
  CallbackResult,
  OAuthClientOptions,
  OAuthTokenResponse,
} from './oauth-types.js';
import { PendingLogins } from './pending-login.js';
import { learnServerClock } from './server-clock.js';
import { ServerMetadata } from './server-metadata.js';
import { tokensOf } from './token-response.js';

/**
 * An OAuth 2.0 / OpenID Connect public client for the browser, on `oauth4webapi`: sign-in with
 * authorization code + PKCE (S256), `state`, `nonce` and RFC 9207 `iss`; the RFC 6749 §6 refresh
 * grant; RFC 7009 revocation; RFC 9449 DPoP with `dpop: true`. It stores no token: the app hands
 * `handleCallback`'s tokens to a `TokenManager`, whose `refresh`/`revoke` this client provides.
 * No error it throws carries a token, code, verifier or proof.
 */
export class OAuthClient {
  readonly #options: OAuthClientOptions;
  readonly #client: oauth.Client;
  readonly #request: RequestOptions;
  readonly #fetch: typeof fetch;
  readonly #metadata: ServerMetadata;
  readonly #pending: PendingLogins;
  readonly #keys: DPoPSigner | undefined;
  readonly #jwks: oauth.JWKSCacheInput = {};
  /** The authorization server, as the options name it (the key of its clock offset). */
  readonly #server: string;

  constructor(options: OAuthClientOptions) {
    if (typeof options?.clientId !== 'string' || options.clientId === '')
      throw new StrataError('INVALID_OPTIONS', 'OAuthClient needs a clientId.');
    if (typeof options.storage?.set !== 'function')
      throw new StrataError('INVALID_OPTIONS', 'OAuthClient needs { storage: Strata }.');
    const timeout = options.timeout ?? 15_000;
    if (!Number.isFinite(timeout) || timeout <= 0)
      throw new StrataError(
        'INVALID_OPTIONS',
        'OAuthClient timeout must be a positive number of ms.',
      );
    this.#options = options;
    this.#client = { client_id: options.clientId, token_endpoint_auth_method: 'none' };
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    const server = options.issuer ?? options.tokenEndpoint ?? options.authorizationEndpoint ?? '';
    this.#request = requestOptions(this.#fetch, timeout, isLoopback(server));
    this.#metadata = new ServerMetadata(options, this.#request);
    this.#server = server;
    this.#pending = new PendingLogins(options.storage, options.pendingTtl ?? 600_000);
    this.#keys =
      options.dpop === true
        ? new DPoPSigner(options.storage.namespace, this.#client, server)
        : undefined;
  }

  /** Whether tokens are DPoP-bound (`dpop: true`). */
  get dpop(): boolean {
    return this.#keys !== undefined;
  }

  /** The scheme resource calls use: `'DPoP'` with `dpop: true`, else `'Bearer'`. */
  get tokenType(): 'Bearer' | 'DPoP' {
    return this.dpop ? 'DPoP' : 'Bearer';
  }

  /**
   * The authorization request URL to send the browser to: authorization code + PKCE (S256) with a
   * fresh `state` and (with `openid`) `nonce`, and `dpop_jkt` with `dpop: true`. The verifier,
   * state and nonce are kept in `storage` until the callback.
   */
  async authorizationUrl(options: AuthorizationUrlOptions = {}): Promise<string> {
    const as = await this.#metadata.get();
    if (as.authorization_endpoint === undefined)
      throw new StrataError(
        'INVALID_OPTIONS',
        'The authorization server has no authorization_endpoint.',
      );
    const redirectUri = redirectUriOf(this.#options);
    const state = oauth.generateRandomState();
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const nonce = this.#openid ? oauth.generateRandomNonce() : undefined;
    const url = new URL(as.authorization_endpoint);
    const params = url.searchParams;
    params.set('client_id', this.#client.client_id);
    params.set('redirect_uri', redirectUri);
    params.set('response_type', 'code');
    params.set('scope', this.#scope);
    params.set('state', state);
    if (nonce !== undefined) params.set('nonce', nonce);
    params.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
    params.set('code_challenge_method', 'S256');
    if (options.prompt !== undefined) params.set('prompt', options.prompt);
    const handle = await this.#keys?.handle('create');
    if (handle) params.set('dpop_jkt', await handle.calculateThumbprint());
    for (const [name, value] of Object.entries(options.params ?? {}))
      if (!params.has(name)) params.set(name, value);
    await this.#pending.put({ state, codeVerifier, nonce, redirectUri });
    return url.href;
  }

  /**
   * Completes a sign-in from the callback URL: the pending sign-in its `state` names (taken once:
   * a replayed or foreign callback is refused), the `iss` (RFC 9207), the code exchange, and the
   * id_token (signature against the JWKS, `iss`, `aud`, `exp`, `nonce`). Rejects with
   * `INVALID_CALLBACK` or `INVALID_ID_TOKEN`; stores nothing (the app passes `tokens` on).
   */
  async handleCallback(url: string | URL): Promise<CallbackResult> {
    let params: URLSearchParams;
    try {
      params = new URL(url).searchParams;
    } catch {
      throw new StrataError('INVALID_CALLBACK', 'The callback URL is not a URL.');
    }
    const state = params.get('state');
    if (state === null || state === '')
      throw new StrataError(
        'INVALID_CALLBACK',
        'The callback has no state; it was not started here.',
      );
    const pending = await this.#pending.take(state);
    if (pending === undefined)
      throw new StrataError(
        'INVALID_CALLBACK',
        'No sign-in is pending for this callback: it was used already, started in another browser, or expired. Start the sign-in again.',
      );
    const as = await this.#metadata.get();
    let callback: URLSearchParams;
    try {
      callback = oauth.validateAuthResponse(as, this.#client, params, pending.state);
    } catch (error) {
      const failure = failureOf(error);
      const reason =
        error instanceof oauth.AuthorizationResponseError
          ? `the server answered ${failure.error ?? 'an error'}`
          : 'its issuer (iss) or parameters do not match this sign-in';
      throw oauthError('INVALID_CALLBACK', `The callback was refused: ${reason}.`, failure);
    }
    const handle = await this.#keys?.handle('create');
    let answer: Response | undefined;
    let raw: unknown;
    let result: oauth.TokenEndpointResponse;
    try {
      result = await withNonce(async () => {
        answer = await oauth.authorizationCodeGrantRequest(
          as,
          this.#client,
          oauth.None(),
          callback,
          pending.redirectUri,
          pending.codeVerifier,
          this.#tokenOptions(handle),
        );
        raw = await bodyOf200(answer);
        return oauth.processAuthorizationCodeResponse(as, this.#client, answer, {
          expectedNonce: pending.nonce ?? oauth.expectNoNonce,
          requireIdToken: this.#openid,
        });
      });
    } catch (error) {
      throw exchangeFailure(error, raw);
    }
    if (result.id_token !== undefined && answer !== undefined) {
      try {
        await oauth.validateApplicationLevelSignature(as, answer, {
          ...this.#request,
          [oauth.jwksCache]: this.#jwks,
        });
      } catch (error) {
        throw oauthError(
          'INVALID_ID_TOKEN',
          `The id_token's signature does not verify against the server's JWKS${describe(failureOf(error))}.`,
          failureOf(error),
        );
      }
    }
    const tokens = tokensOf(result);
    if (tokens === undefined)
      throw new StrataError('INVALID_CALLBACK', 'The token endpoint answered no access token.');
    learnServerClock(this.#server, [tokens.accessToken, tokens.idToken]); // both issued just now
    if (handle && tokens.tokenType !== 'DPoP')
      throw new StrataError(
        'INVALID_CALLBACK',
        'dpop is on, but the server issued a Bearer token: enable DPoP for this client at the server, or turn dpop off.',
      );
    const claims = oauth.getValidatedIdTokenClaims(result);
    return { tokens, claims: claims === undefined ? null : { ...claims } };
  }

  /**
   * The RFC 6749 §6 refresh grant, for `TokenManager`'s `refresh`. Its failures follow the error
   * policy: `INVALID_GRANT` (signs out; also when the DPoP key bound to the tokens is gone),
   * `CLIENT_FAULT` (not retried, token kept), `REFRESH_FAILED` / `NETWORK` / `TIMEOUT`
   * (transient). A `use_dpop_nonce` answer is retried once with the server's nonce. An answer
   * that rotated the refresh token is handed back even when its id_token fails validation (the
   * id_token is dropped and reported to `onError`): the new refresh token is never lost.
   */
  async refreshTokens(refreshToken: string): Promise<OAuthTokenResponse> {
    const as = await this.#metadata.get();
    const handle = await this.#keys?.handle('stored');
    if (this.#keys && !handle)
      throw new StrataError(
        'INVALID_GRANT',
        'The DPoP key these tokens are bound to is gone; signed out.',
      );
    let raw: unknown;
    try {
      return await withNonce(async () => {
        raw = undefined;
        const response = await oauth.refreshTokenGrantRequest(
          as,
          this.#client,
          oauth.None(),
          refreshToken,
          this.#tokenOptions(handle),
        );
        raw = await bodyOf200(response); // before anything can fail it
        const result = await oauth.processRefreshTokenResponse(as, this.#client, response);
        const tokens = tokensOf(result);
        if (tokens === undefined) throw new StrataError('CLIENT_FAULT', 'No access token.');
        learnServerClock(this.#server, [tokens.accessToken]); // a refresh's id_token may be an old one
        if (handle && tokens.tokenType !== 'DPoP')
          this.#options.onError?.(
            new StrataError(
              'CLIENT_FAULT',
              'dpop is on, but the refresh answered a Bearer token: resource calls will be refused.',
            ),
          );
        return tokens;
      });
    } catch (error) {
      const salvaged = tokensOf(raw, false);
      if (salvaged?.refreshToken !== undefined && !(error instanceof oauth.ResponseBodyError)) {
        this.#options.onError?.(
          new StrataError(
            'INVALID_ID_TOKEN',
            `The refresh answer did not validate${describe(failureOf(error))}; its tokens are kept, its id_token dropped.`,
          ),
        );
        return salvaged;
      }
      throw refreshFailure(error);
    }
  }

  /**
   * RFC 7009: revokes `token` (a refresh token by default). Rejects with `REVOCATION_FAILED` (or
   * `NETWORK` / `TIMEOUT`) when the server did not confirm it.
   */
  async revoke(
    token: string,
    hint: 'refresh_token' | 'access_token' = 'refresh_token',
  ): Promise<void> {
    const as = await this.#metadata.get();
    if (as.revocation_endpoint === undefined)
      throw new StrataError(
        'REVOCATION_FAILED',
        'The authorization server has no revocation_endpoint.',
      );
    try {
      const response = await oauth.revocationRequest(as, this.#client, oauth.None(), token, {
        ...this.#request,
        additionalParameters: { token_type_hint: hint },
      });
      await oauth.processRevocationResponse(response);
    } catch (error) {
      const failure = failureOf(error);
      if (failure.network && error instanceof StrataError) throw error;
      throw oauthError(
        'REVOCATION_FAILED',
        `The server did not revoke the token${describe(failure)}; it may still be valid there.`,
        failure,
      );
    }
  }

  /**
   * Sign-out at the server, for `TokenManager`'s `revoke`: revokes `refreshToken` (RFC 7009) and
   * destroys the DPoP key pair. The key goes even when the revocation fails, which then rejects.
   */
  async signOut(refreshToken?: string): Promise<void> {
    try {
      if (refreshToken !== undefined) await this.revoke(refreshToken);
    } finally {
      await this.destroyKey();
    }
  }

  /** Destroys this namespace's DPoP key pair (no-op without `dpop`): bound tokens become useless. */
  async destroyKey(): Promise<void> {
    await this.#keys?.destroy();
  }

  /**
   * `fetch` to a resource server with `accessToken`: `Authorization: Bearer …`, or with DPoP
   * `Authorization: DPoP …` and a fresh proof (`htm`, `htu`, `ath`, `jti`). A 401 asking for
   * `use_dpop_nonce` is retried once with the server's nonce; every other answer is returned as is.
   */
  async resourceFetch(
    accessToken: string,
    input: RequestInfo | URL,
    init: RequestInit = {},
    options: { tokenType?: 'Bearer' | 'DPoP'; fetch?: typeof fetch } = {},
  ): Promise<Response> {
    const doFetch = options.fetch ?? this.#fetch;
    const tokenType = options.tokenType ?? this.tokenType;
    const request = new Request(input, init);
    if (tokenType === 'Bearer') {
      request.headers.set('Authorization', `Bearer ${accessToken}`);
      return doFetch(request);
    }
    const handle = await this.#keys?.handle('cached');
    if (!handle)
      throw new StrataError(
        'INVALID_GRANT',
        'The DPoP key these tokens are bound to is gone; sign in again.',
      );
    return dpopResourceRequest(handle, accessToken, request, doFetch);
  }

  // ── internals ───────────────────────────────────────────────────────────────────────

  get #scope(): string {
    return this.#options.scope ?? 'openid';
  }

  get #openid(): boolean {
    return this.#scope.split(' ').includes('openid');
  }

  #tokenOptions(handle: oauth.DPoPHandle | undefined): oauth.TokenEndpointRequestOptions {
    return handle ? { ...this.#request, DPoP: handle } : { ...this.#request };
  }
}

/** Where the server sends the browser back: the option, else this page without its query. */
function redirectUriOf(options: OAuthClientOptions): string {
  if (options.redirectUri !== undefined) return options.redirectUri;
  if (typeof location === 'undefined')
    throw new StrataError(
      'INVALID_OPTIONS',
      'OAuthClient needs a redirectUri outside a browser page.',
    );
  return location.origin + location.pathname;
}

/** The JSON body of a 200 answer (a 200 may carry a rotated refresh token); else `undefined`. */
function bodyOf200(response: Response): Promise<unknown> {
  if (response.status !== 200) return Promise.resolve(undefined);
  return response
    .clone()
    .json()
    .catch(() => undefined);
}
