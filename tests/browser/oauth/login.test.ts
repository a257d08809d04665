import { describe, expect, it } from 'vitest';
import type { Strata } from 'strata-storage';
import { OAuthClient } from 'strata-storage/oauth';
import { makeStrata } from '../helpers.js';
import {
  CLIENT_ID,
  SCOPE,
  apiMe,
  authorize,
  eachTestStrata,
  expectStrataError,
  issuer,
  jwtClaims,
  oauthClient,
  recordingFetch,
  redirectUri,
  signIn,
} from './helpers.js';

// Sign-in: authorization code + PKCE (S256), state, nonce, RFC 9207 iss, id_token validation,
// against oidc-provider in real Chromium.
let strata: Strata;
eachTestStrata((made) => ({ strata } = made));

const pendingKeys = () => strata.keys('oauth:pending:');

describe('OAuthClient sign-in against oidc-provider', () => {
  it('signs in with authorization code + PKCE (S256), state and nonce, end to end', async () => {
    const wire = recordingFetch();
    const client = oauthClient(strata, { fetch: wire.fetch });
    const url = new URL(await client.authorizationUrl());
    expect(`${url.origin}${url.pathname}`).toBe(`${issuer}/auth`);
    const params = url.searchParams;
    expect(params.get('response_type')).toBe('code');
    expect(params.get('client_id')).toBe(CLIENT_ID);
    expect(params.get('redirect_uri')).toBe(redirectUri);
    expect(params.get('scope')).toBe(SCOPE);
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(params.get('state')).toMatch(/^[\w-]{43}$/);
    expect(params.get('nonce')).toMatch(/^[\w-]{43}$/);
    expect(params.has('code_verifier')).toBe(false);
    expect(await pendingKeys()).toHaveLength(1);

    const callback = new URL(await authorize(url.href));
    expect(callback.searchParams.get('state')).toBe(params.get('state'));
    expect(callback.searchParams.get('iss')).toBe(issuer); // RFC 9207
    const { tokens, claims } = await client.handleCallback(callback.href);

    // The code went to the token endpoint with the verifier whose S256 is the challenge.
    const exchange = wire.log.find((entry) => entry.url === `${issuer}/token`);
    const form = new URLSearchParams(exchange?.body);
    expect(form.get('grant_type')).toBe('authorization_code');
    expect(form.get('client_id')).toBe(CLIENT_ID);
    const verifier = form.get('code_verifier') ?? '';
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
    const challenge = btoa(String.fromCharCode(...new Uint8Array(digest)))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '');
    expect(challenge).toBe(params.get('code_challenge'));
    expect(exchange?.status).toBe(200);

    expect(tokens.tokenType).toBe('Bearer');
    expect(tokens.accessToken.split('.')).toHaveLength(3);
    expect(tokens.refreshToken).toEqual(expect.any(String));
    expect(tokens.idToken).toEqual(expect.any(String));
    expect(tokens.expiresIn).toBeGreaterThan(0);
    expect(tokens.expiresIn).toBeLessThanOrEqual(30);
    expect(tokens.scope?.split(' ')).toContain('api:read'); // the resource server's scope
    expect(Object.keys(tokens).some((key) => key.includes('_'))).toBe(false); // camelCase only
    expect(claims).toMatchObject({ sub: 'alice', iss: issuer, aud: CLIENT_ID });
    expect(claims?.nonce).toBe(params.get('nonce'));
    expect(await pendingKeys()).toEqual([]); // verifier, state and nonce removed after use

    // The access token is the provider's: the resource server accepts it.
    const me = await client.resourceFetch(tokens.accessToken, apiMe);
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ sub: 'alice', scheme: 'Bearer' });
    expect(jwtClaims(tokens.accessToken)).toMatchObject({ iss: issuer, sub: 'alice' });
  });

  it('refuses a callback with a tampered state, and stores nothing', async () => {
    const client = oauthClient(strata);
    const callback = new URL(await authorize(await client.authorizationUrl()));
    const code = callback.searchParams.get('code') ?? '';
    const tampered = new URL(callback);
    tampered.searchParams.set('state', `${callback.searchParams.get('state')}x`);
    const keysBefore = await strata.keys();
    await expectStrataError(client.handleCallback(tampered.href), 'INVALID_CALLBACK', [code]);
    expect(await strata.keys()).toEqual(keysBefore);
    const missing = new URL(callback);
    missing.searchParams.delete('state');
    await expectStrataError(client.handleCallback(missing.href), 'INVALID_CALLBACK', [code]);
    // The sign-in the tampered callbacks tried to hijack still completes, once.
    const { claims } = await client.handleCallback(callback.href);
    expect(claims?.sub).toBe('alice');
  });

  it('refuses a replayed callback and one this browser never started', async () => {
    const client = oauthClient(strata);
    const callback = await authorize(await client.authorizationUrl());
    await client.handleCallback(callback);
    const code = new URL(callback).searchParams.get('code') ?? '';
    const replay = await expectStrataError(client.handleCallback(callback), 'INVALID_CALLBACK', [
      code,
    ]);
    expect(replay.message).toMatch(/used already|another browser|expired/);

    // A callback started in another browser (another storage): no pending sign-in there.
    const other = makeStrata({ defaultStorage: 'localStorage' });
    await other.strata.ready();
    try {
      const foreign = await authorize(await oauthClient(strata).authorizationUrl());
      await expectStrataError(
        oauthClient(other.strata).handleCallback(foreign),
        'INVALID_CALLBACK',
      );
    } finally {
      await other.strata.close();
    }
  });

  it('refuses a callback whose iss is not the issuer (RFC 9207)', async () => {
    const client = oauthClient(strata);
    const callback = new URL(await authorize(await client.authorizationUrl()));
    callback.searchParams.set('iss', 'https://attacker.example');
    const error = await expectStrataError(client.handleCallback(callback.href), 'INVALID_CALLBACK');
    expect(error.message).toMatch(/issuer/);
    const unannounced = new URL(await authorize(await client.authorizationUrl()));
    unannounced.searchParams.delete('iss'); // the provider announces RFC 9207 support
    await expectStrataError(client.handleCallback(unannounced.href), 'INVALID_CALLBACK');
  });

  it('refuses an error answer: the wrong password', async () => {
    const client = oauthClient(strata);
    const callback = await authorize(await client.authorizationUrl(), {
      login: 'alice',
      password: 'wrong',
    });
    expect(new URL(callback).searchParams.get('error')).toBe('access_denied');
    const error = await expectStrataError(client.handleCallback(callback), 'INVALID_CALLBACK');
    expect((error as unknown as { error?: string }).error).toBe('access_denied');
    expect(await pendingKeys()).toEqual([]);
  });

  it('discovers through RFC 8414 when OpenID discovery has nothing, and fails clearly otherwise', async () => {
    const rfc8414 = new OAuthClient({
      issuer: `${issuer}/rfc8414`,
      clientId: CLIENT_ID,
      redirectUri,
      storage: strata,
    });
    expect(await rfc8414.authorizationUrl()).toMatch(new RegExp(`^${issuer}/auth\\?`));

    const nowhere = new OAuthClient({
      issuer: `${issuer}/nowhere`,
      clientId: CLIENT_ID,
      storage: strata,
    });
    const error = await expectStrataError(nowhere.authorizationUrl(), 'DISCOVERY_FAILED');
    expect(error.message).toMatch(/issuer/);
    const unreachable = new OAuthClient({
      issuer: 'http://127.0.0.1:9/',
      clientId: CLIENT_ID,
      storage: strata,
    });
    await expectStrataError(unreachable.refreshTokens('some-refresh-token'), 'DISCOVERY_FAILED', [
      'some-refresh-token',
    ]);
  });
});

describe('id_token validation', () => {
  /**
   * A sign-in whose token endpoint answers an id_token wrong in `variant` (signed with the
   * provider's own key unless the variant is about the signature), validated against the
   * provider's JWKS.
   */
  async function callbackWith(variant: string) {
    const start = new OAuthClient({
      issuer,
      authorizationEndpoint: `${issuer}/auth`,
      tokenEndpoint: `${issuer}/evil/unused/none/token`,
      jwksUri: `${issuer}/jwks`,
      clientId: CLIENT_ID,
      redirectUri,
      storage: strata,
    });
    const url = new URL(await start.authorizationUrl());
    const state = url.searchParams.get('state') ?? '';
    const nonce = url.searchParams.get('nonce') ?? '';
    const client = new OAuthClient({
      issuer,
      authorizationEndpoint: `${issuer}/auth`,
      tokenEndpoint: `${issuer}/evil/${variant}/${nonce}/token`,
      jwksUri: `${issuer}/jwks`,
      clientId: CLIENT_ID,
      redirectUri,
      storage: strata,
    });
    return client.handleCallback(`${redirectUri}?code=a-code&state=${state}`);
  }

  it('accepts an id_token that is right in every way (the control)', async () => {
    const { claims } = await callbackWith('good');
    expect(claims).toMatchObject({ sub: 'alice', aud: CLIENT_ID, iss: issuer });
  });

  it.each([
    ['a wrong nonce', 'nonce'],
    ['a wrong audience', 'aud'],
    ['a wrong issuer', 'iss'],
    ['an expiry in the past', 'expired'],
    ['alg: none', 'none'],
    ['a signature by another key', 'sig'],
  ])('refuses an id_token with %s, and stores nothing', async (_what, variant) => {
    const before = await strata.keys();
    await expectStrataError(callbackWith(variant), 'INVALID_ID_TOKEN');
    expect((await strata.keys()).filter((key) => !before.includes(key))).toEqual([]);
    expect(await pendingKeys()).toEqual([]);
  });

  it('signs in with the id_token claims the provider issued for alice', async () => {
    const { claims, tokens } = await signIn(oauthClient(strata));
    expect(claims?.sub).toBe('alice');
    expect(jwtClaims(tokens.idToken ?? '')).toMatchObject({ sub: 'alice', aud: CLIENT_ID });
  });
});
