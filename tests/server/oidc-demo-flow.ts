import { randomUUID, createHash } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import * as oauth from 'oauth4webapi';

// Plays the demo page and its user against the demo provider from Node: the authorization
// request (PKCE, state, nonce, dpop_jkt), the provider's login form, the code exchange with
// DPoP and its nonce. Nothing in the provider is bypassed.

/** What a sign-in hands back, with the DPoP key the tokens are bound to. */
export interface SignedIn {
  accessToken: string;
  refreshToken: string;
  keys: CryptoKeyPair;
  as: oauth.AuthorizationServer;
  dpop: oauth.DPoPHandle;
}

export const DEMO_ORIGIN = 'http://127.0.0.1:5999';
const client: oauth.Client = { client_id: 'strata-demo', token_endpoint_auth_method: 'none' };
const insecure = { [oauth.allowInsecureRequests]: true };

/** A browser's cookie jar and manual redirects, for one origin. */
export class Browser {
  readonly #cookies = new Map<string, string>();

  async go(target: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.#cookies.size > 0)
      headers.set('cookie', [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const response = await fetch(target, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      const value = pair.slice(at + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line))
        this.#cookies.delete(pair.slice(0, at).trim());
      else this.#cookies.set(pair.slice(0, at).trim(), value);
    }
    return response;
  }

  /** Follows redirects on `issuer` until one leaves it (answered) or a page is shown. */
  async follow(issuer: string, response: Response): Promise<Response | URL> {
    for (let step = 0; step < 10; step++) {
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || location === null) return response;
      const next = new URL(location, issuer);
      if (next.origin !== new URL(issuer).origin) return next;
      response = await this.go(next.href);
    }
    throw new Error('too many redirects');
  }
}

/** Posts the login form of the page `form` was read from. */
export function submitLogin(
  browser: Browser,
  issuer: string,
  page: string,
  login: string,
  password: string,
): Promise<Response> {
  const action = /action="([^"]+)"/.exec(page)?.[1];
  if (action === undefined) throw new Error('no login form');
  return browser.go(new URL(action, issuer).href, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ login, password }).toString(),
  });
}

/** Opens the provider's login page for a fresh authorization request. */
export async function startSignIn(issuer: string) {
  const as = await oauth.processDiscoveryResponse(
    new URL(issuer),
    await oauth.discoveryRequest(new URL(issuer), insecure),
  );
  const keys = await generateKeyPair('ES256');
  const dpop = oauth.DPoP(client, keys);
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const url = new URL(as.authorization_endpoint!);
  url.search = new URLSearchParams({
    client_id: client.client_id,
    redirect_uri: `${DEMO_ORIGIN}/`,
    response_type: 'code',
    scope: 'openid profile email',
    state,
    nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    dpop_jkt: await dpop.calculateThumbprint(),
    prompt: 'login',
  }).toString();
  const browser = new Browser();
  const shown = await browser.follow(issuer, await browser.go(url.href));
  if (shown instanceof URL) throw new Error('no login page');
  return { as, keys, dpop, verifier, state, nonce, browser, page: await shown.text() };
}

/** Signs in as alice / password and exchanges the code, as the demo page does. */
export async function signIn(issuer: string): Promise<SignedIn> {
  const flow = await startSignIn(issuer);
  const callback = await flow.browser.follow(
    issuer,
    await submitLogin(flow.browser, issuer, flow.page, 'alice', 'password'),
  );
  if (!(callback instanceof URL)) throw new Error(`login answered ${callback.status}`);
  const params = oauth.validateAuthResponse(flow.as, client, callback.searchParams, flow.state);
  const exchange = () =>
    oauth
      .authorizationCodeGrantRequest(
        flow.as,
        client,
        oauth.None(),
        params,
        `${DEMO_ORIGIN}/`,
        flow.verifier,
        { DPoP: flow.dpop, ...insecure },
      )
      .then((response) =>
        oauth.processAuthorizationCodeResponse(flow.as, client, response, {
          expectedNonce: flow.nonce,
        }),
      );
  const tokens = await exchange().catch((error: unknown) => {
    if (oauth.isDPoPNonceError(error)) return exchange();
    throw error;
  });
  return {
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token!,
    keys: flow.keys,
    as: flow.as,
    dpop: flow.dpop,
  };
}

/** A DPoP proof by `keys` for `method url` and `accessToken`; `claims` override its fields. */
export async function proof(
  keys: CryptoKeyPair,
  method: string,
  url: string,
  accessToken: string,
  claims: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT({
    htm: method,
    htu: url,
    ath: createHash('sha256').update(accessToken).digest('base64url'),
    jti: randomUUID(),
    iat: Math.floor(Date.now() / 1000),
    ...claims,
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(keys.publicKey) })
    .sign(keys.privateKey);
}

/** The refresh grant with the tokens' DPoP key (and the provider's nonce). */
export async function refresh(signedIn: SignedIn, refreshToken: string) {
  const run = () =>
    oauth
      .refreshTokenGrantRequest(signedIn.as, client, oauth.None(), refreshToken, {
        DPoP: signedIn.dpop,
        ...insecure,
      })
      .then((response) => oauth.processRefreshTokenResponse(signedIn.as, client, response));
  return run().catch((error: unknown) => {
    if (oauth.isDPoPNonceError(error)) return run();
    throw error;
  });
}
