import * as oauth from 'oauth4webapi';
import { StrataError } from '../errors.js';
import { failureOf, describe } from './oauth-errors.js';
import type { RequestOptions } from './http.js';
import type { OAuthClientOptions } from './oauth-types.js';

/**
 * The authorization server's metadata, once: from the explicit endpoints when given, else by
 * discovery (OpenID Connect Discovery, then RFC 8414). The issuer the server states must be the
 * configured one. A failure is not cached, so the next call tries again.
 */
export class ServerMetadata {
  readonly #options: OAuthClientOptions;
  readonly #request: RequestOptions;
  #metadata: Promise<oauth.AuthorizationServer> | undefined;

  constructor(options: OAuthClientOptions, request: RequestOptions) {
    this.#options = options;
    this.#request = request;
  }

  /** The metadata; rejects with `DISCOVERY_FAILED`. */
  get(): Promise<oauth.AuthorizationServer> {
    this.#metadata ??= this.#load().catch((error: unknown) => {
      this.#metadata = undefined;
      throw error;
    });
    return this.#metadata;
  }

  async #load(): Promise<oauth.AuthorizationServer> {
    const { issuer, tokenEndpoint, authorizationEndpoint } = this.#options;
    if (tokenEndpoint !== undefined || authorizationEndpoint !== undefined) return this.#explicit();
    if (issuer === undefined)
      throw new StrataError(
        'INVALID_OPTIONS',
        'OAuthClient needs an issuer or explicit endpoints.',
      );
    let url: URL;
    try {
      url = new URL(issuer);
    } catch {
      throw new StrataError('INVALID_OPTIONS', 'OAuthClient issuer must be an absolute URL.');
    }
    let last: unknown;
    for (const algorithm of ['oidc', 'oauth2'] as const) {
      try {
        const response = await oauth.discoveryRequest(url, { ...this.#request, algorithm });
        return await oauth.processDiscoveryResponse(url, response);
      } catch (error) {
        last = error;
      }
    }
    throw new StrataError(
      'DISCOVERY_FAILED',
      `The authorization server's metadata could not be read from ${url.origin}${describe(failureOf(last))}; check the issuer.`,
    );
  }

  #explicit(): oauth.AuthorizationServer {
    const o = this.#options;
    const endpoint = o.tokenEndpoint ?? o.authorizationEndpoint ?? '';
    const metadata: {
      -readonly [K in keyof oauth.AuthorizationServer]: oauth.AuthorizationServer[K];
    } = {
      issuer: o.issuer ?? new URL(endpoint).origin,
    };
    if (o.authorizationEndpoint !== undefined)
      metadata.authorization_endpoint = o.authorizationEndpoint;
    if (o.tokenEndpoint !== undefined) metadata.token_endpoint = o.tokenEndpoint;
    if (o.revocationEndpoint !== undefined) metadata.revocation_endpoint = o.revocationEndpoint;
    if (o.jwksUri !== undefined) metadata.jwks_uri = o.jwksUri;
    return metadata;
  }
}
