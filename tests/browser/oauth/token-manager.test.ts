import { describe, expect, it } from 'vitest';
import { TokenManager, type Strata, type TokenEvents } from 'strata-storage';
import { OAuthClient } from 'strata-storage/oauth';
import {
  CLIENT_ID,
  DPOP_CLIENT_ID,
  apiMe,
  eachTestStrata,
  expectStrataError,
  introspect,
  issuer,
  oauthClient,
  recordingFetch,
  signIn,
  signInInto,
  storedKeyPair,
} from './helpers.js';

// new TokenManager({ storage, oauth }): refresh through the RFC 6749 §6 grant, logout through
// RFC 7009 (and the DPoP key destroyed), fetch() with Bearer or DPoP, and the error policy.
let strata: Strata;
let namespace: string;
const { managers } = eachTestStrata((made) => ({ strata, namespace } = made));

function manager(oauth: OAuthClient, fetch?: typeof globalThis.fetch): TokenManager {
  const tokens = new TokenManager({
    storage: strata,
    oauth,
    proactive: false,
    ...(fetch ? { fetch } : {}),
  });
  managers.push(tokens);
  return tokens;
}

describe('TokenManager with an OAuthClient', () => {
  it('refreshes with the grant and sends Bearer', async () => {
    const client = oauthClient(strata);
    const tokenManager = manager(client);
    const tokens = await signInInto(client, tokenManager);
    const refreshed = await tokenManager.refresh({ force: true });
    expect(refreshed.refreshToken).not.toBe(tokens.refreshToken);
    expect((await introspect(tokens.refreshToken ?? '')).active).toBe(false);
    const me = await tokenManager.fetch(apiMe);
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ sub: 'alice', scheme: 'Bearer' });
  });

  it('with DPoP, fetch() sends a proof; a refused token is refreshed once and the call retried', async () => {
    const client = oauthClient(strata, { clientId: DPOP_CLIENT_ID, dpop: true });
    const { tokens } = await signIn(client);
    const wire = recordingFetch();
    const tokenManager = manager(client, wire.fetch);
    await tokenManager.setTokens(tokens);
    const me = await tokenManager.fetch(apiMe);
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ sub: 'alice', scheme: 'DPoP' });
    expect(wire.log.map((entry) => entry.status)).toEqual([401, 200]); // the resource's nonce
    expect(wire.log.every((entry) => entry.headers.has('dpop'))).toBe(true);

    // An access token the resource server refuses (not the provider's): one refresh, one retry.
    await tokenManager.setTokens({ ...tokens, accessToken: 'not-a-token', expiresIn: 3600 });
    wire.log.length = 0;
    const retried = await tokenManager.fetch(apiMe);
    expect(retried.status).toBe(200);
    expect(wire.log.map((entry) => entry.status)).toEqual([401, 200]);
    expect((await tokenManager.getTokens())?.accessToken).not.toBe('not-a-token');
  });

  it('clear() revokes at the provider and destroys the DPoP key', async () => {
    const client = oauthClient(strata, { clientId: DPOP_CLIENT_ID, dpop: true });
    const tokenManager = manager(client);
    const tokens = await signInInto(client, tokenManager);
    expect(await storedKeyPair(namespace)).toBeDefined();
    await tokenManager.clear();
    expect((await introspect(tokens.refreshToken ?? '')).active).toBe(false);
    expect(await storedKeyPair(namespace)).toBeUndefined();
    expect(await tokenManager.getTokens()).toBeUndefined();
  });

  it('a failed revocation signs out anyway and is reported: clear() rejects', async () => {
    const client = new OAuthClient({
      issuer,
      tokenEndpoint: `${issuer}/token`,
      revocationEndpoint: `${issuer}/evil/status/503/token`,
      clientId: CLIENT_ID,
      storage: strata,
    });
    const tokenManager = manager(client);
    await tokenManager.setTokens({ accessToken: 'at', refreshToken: 'rt', expiresIn: 3600 });
    await expectStrataError(tokenManager.clear(), 'REVOCATION_FAILED', ['rt']);
    expect(await tokenManager.getTokens()).toBeUndefined();
  });

  it('invalid_client: not signed out, not retried, getAccessToken() rejects naming the fault', async () => {
    const client = oauthClient(strata);
    const { tokens } = await signIn(client);
    const wire = recordingFetch();
    const unknown = oauthClient(strata, { clientId: 'not-registered', fetch: wire.fetch });
    const tokenManager = manager(unknown);
    const cleared: TokenEvents['cleared'][] = [];
    const failed: TokenEvents['refreshFailed'][] = [];
    tokenManager.on('cleared', (event) => cleared.push(event));
    tokenManager.on('refreshFailed', (event) => failed.push(event));
    const { expiresIn: _fresh, ...expired } = tokens;
    await tokenManager.setTokens({ ...expired, expiresAt: Date.now() - 1000 });
    const fault = await expectStrataError(tokenManager.getAccessToken(), 'CLIENT_FAULT', [
      tokens.refreshToken ?? '',
    ]);
    expect(fault.message).toContain('invalid_client');
    expect(failed).toEqual([{ error: fault, attempt: 1, willRetry: false }]);
    const calls = wire.log.filter((entry) => entry.url === `${issuer}/token`).length;
    await expectStrataError(tokenManager.getAccessToken(), 'CLIENT_FAULT');
    expect(wire.log.filter((entry) => entry.url === `${issuer}/token`)).toHaveLength(calls);
    expect(cleared).toEqual([]);
    expect((await tokenManager.getTokens())?.refreshToken).toBe(tokens.refreshToken);
    expect((await introspect(tokens.refreshToken ?? '')).active).toBe(true);
  });

  it('invalid_grant signs out', async () => {
    const client = oauthClient(strata);
    const tokenManager = manager(client);
    const tokens = await signInInto(client, tokenManager);
    await client.revoke(tokens.refreshToken ?? '');
    await expectStrataError(tokenManager.refresh({ force: true }), 'INVALID_GRANT');
    expect(await tokenManager.getTokens()).toBeUndefined();
    expect(await tokenManager.getAccessToken()).toBeNull();
  });
});
