import { describe, expect, it } from 'vitest';
import { TokenManager, type Strata, type TokenEvents } from 'strata-storage';
import type { OAuthClient } from 'strata-storage/oauth';
import { makeStrata } from '../helpers.js';
import {
  DPOP_CLIENT_ID,
  apiMe,
  deleteStoredKeyPair,
  eachTestStrata,
  expectStrataError,
  introspect,
  issuer,
  jwtClaims,
  oauthClient,
  recordingFetch,
  signIn,
  storedKeyPair,
} from './helpers.js';

// DPoP (RFC 9449) against oidc-provider (nonces required for this client) and a resource server
// that checks the proofs, in real Chromium.
let strata: Strata;
let namespace: string;
eachTestStrata((made) => ({ strata, namespace } = made), { defaultStorage: 'localStorage' });

function dpopClient(storage: Strata, fetch?: typeof globalThis.fetch): OAuthClient {
  return oauthClient(storage, {
    clientId: DPOP_CLIENT_ID,
    dpop: true,
    ...(fetch ? { fetch } : {}),
  });
}

async function thumbprint(key: CryptoKey): Promise<string> {
  const { crv, kty, x, y } = await crypto.subtle.exportKey('jwk', key);
  const digest = await crypto.subtle.digest(
    'SHA-256',
    new TextEncoder().encode(JSON.stringify({ crv, kty, x, y })),
  );
  return btoa(String.fromCharCode(...new Uint8Array(digest)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

describe('DPoP', () => {
  it('binds the tokens to a non-extractable P-256 key kept in IndexedDB, answering the nonce', async () => {
    const wire = recordingFetch();
    const client = dpopClient(strata, wire.fetch);
    const { tokens, url } = await signIn(client);

    const pair = await storedKeyPair(namespace);
    expect(pair?.privateKey).toBeInstanceOf(CryptoKey);
    expect(pair?.privateKey.extractable).toBe(false);
    expect(pair?.privateKey.algorithm).toMatchObject({ name: 'ECDSA', namedCurve: 'P-256' });
    await expect(crypto.subtle.exportKey('jwk', pair!.privateKey)).rejects.toThrow();
    // Kept by structured clone beside the namespace, not through set().
    expect(await strata.keys()).toEqual([]);

    const jkt = await thumbprint(pair!.publicKey);
    expect(url.searchParams.get('dpop_jkt')).toBe(jkt); // the code is bound to the key too
    expect(tokens.tokenType).toBe('DPoP');
    expect(jwtClaims(tokens.accessToken).cnf).toEqual({ jkt });
    expect((await introspect(tokens.refreshToken ?? '')).cnf).toEqual({ jkt });

    // The provider demanded a nonce once (400 use_dpop_nonce with DPoP-Nonce); answered once.
    const tokenCalls = wire.log.filter((entry) => entry.url === `${issuer}/token`);
    expect(tokenCalls.map((entry) => entry.status)).toEqual([400, 200]);
    expect(tokenCalls[0]?.responseHeaders.get('dpop-nonce')).toEqual(expect.any(String));
    const proofs = tokenCalls.map((entry) => jwtClaims(entry.headers.get('dpop') ?? ''));
    expect(proofs[0]?.nonce).toBeUndefined();
    expect(proofs[1]).toMatchObject({
      htm: 'POST',
      htu: `${issuer}/token`,
      nonce: tokenCalls[0]?.responseHeaders.get('dpop-nonce'),
    });
    expect(proofs[1]?.jti).not.toBe(proofs[0]?.jti);
  });

  it('refreshes with a proof (nonce cached), and a stolen refresh token is useless elsewhere', async () => {
    const wire = recordingFetch();
    const client = dpopClient(strata, wire.fetch);
    const { tokens } = await signIn(client);
    const jkt = jwtClaims(tokens.accessToken).cnf;
    const sent = wire.log.length;
    const refreshed = await client.refreshTokens(tokens.refreshToken ?? '');
    expect(refreshed.tokenType).toBe('DPoP');
    expect(jwtClaims(refreshed.accessToken).cnf).toEqual(jkt);
    const refresh = wire.log.slice(sent);
    expect(refresh.map((entry) => entry.status)).toEqual([200]); // the nonce was already known
    expect(jwtClaims(refresh[0]?.headers.get('dpop') ?? '')).toMatchObject({ htm: 'POST' });

    // Another device (another key) with the stolen refresh token: refused.
    const other = makeStrata({ defaultStorage: 'localStorage' });
    await other.strata.ready();
    try {
      const thief = dpopClient(other.strata);
      await thief.authorizationUrl(); // creates that device's own key
      await expectStrataError(thief.refreshTokens(refreshed.refreshToken ?? ''), 'INVALID_GRANT');
      const bearerThief = oauthClient(other.strata, { clientId: DPOP_CLIENT_ID });
      await expect(bearerThief.refreshTokens(refreshed.refreshToken ?? '')).rejects.toThrow();
    } finally {
      await other.strata.close();
    }
    // The owner still refreshes (the thief's attempts spent nothing).
    expect((await client.refreshTokens(refreshed.refreshToken ?? '')).tokenType).toBe('DPoP');
  });

  it('resource calls carry a proof the resource server checks; its nonce is answered once', async () => {
    const client = dpopClient(strata);
    const { tokens } = await signIn(client);
    const wire = recordingFetch();
    const me = await client.resourceFetch(
      tokens.accessToken,
      `${apiMe}?q=1`,
      {},
      { fetch: wire.fetch },
    );
    expect(me.status).toBe(200);
    const body = (await me.json()) as {
      scheme: string;
      jkt: string;
      proof: Record<string, unknown>;
    };
    expect(body).toMatchObject({
      scheme: 'DPoP',
      jkt: (jwtClaims(tokens.accessToken).cnf as { jkt: string }).jkt,
      proof: { htm: 'GET', htu: apiMe, ath: true },
    });
    expect(wire.log.map((entry) => entry.status)).toEqual([401, 200]);
    expect(wire.log[0]?.responseHeaders.get('www-authenticate')).toMatch(/use_dpop_nonce/);
    expect(wire.log.every((entry) => entry.headers.get('authorization')?.startsWith('DPoP '))).toBe(
      true,
    );
    const [first, second] = wire.log.map((entry) => jwtClaims(entry.headers.get('dpop') ?? ''));
    expect(second?.nonce).toBe(wire.log[0]?.responseHeaders.get('dpop-nonce'));
    expect(second?.jti).not.toBe(first?.jti);
    expect(second?.ath).toEqual(expect.any(String));

    // The nonce is known now: one request. A Bearer-style call with the bound token is refused.
    const again = recordingFetch();
    expect(
      (await client.resourceFetch(tokens.accessToken, apiMe, {}, { fetch: again.fetch })).status,
    ).toBe(200);
    expect(again.log).toHaveLength(1);
    const bearer = await client.resourceFetch(
      tokens.accessToken,
      apiMe,
      {},
      { tokenType: 'Bearer' },
    );
    expect(bearer.status).toBe(401);
  });

  it('resource calls sign with the key pair held in memory: IndexedDB is opened once, not per call', async () => {
    const client = dpopClient(strata);
    const { tokens } = await signIn(client);
    const open = indexedDB.open.bind(indexedDB);
    const opened: string[] = [];
    indexedDB.open = (name: string, version?: number) => (opened.push(name), open(name, version));
    try {
      for (let i = 0; i < 5; i++)
        expect((await client.resourceFetch(tokens.accessToken, apiMe)).status).toBe(200);
    } finally {
      indexedDB.open = open;
    }
    expect(opened.filter((name) => name === 'strata-dpop')).toHaveLength(1);
  });

  it('a key pair another tab destroys is not signed with again: the held handle goes with it', async () => {
    const client = dpopClient(strata);
    const { tokens } = await signIn(client);
    expect((await client.resourceFetch(tokens.accessToken, apiMe)).status).toBe(200); // held now
    // Another tab's sign-out: the stored pair deleted, and that tab's announcement.
    await deleteStoredKeyPair(namespace);
    const otherTab = new BroadcastChannel('strata-dpop');
    otherTab.postMessage({ destroyed: namespace });
    otherTab.close();
    await expect
      .poll(() =>
        client.resourceFetch(tokens.accessToken, apiMe).then(
          (response) => response.status,
          (error: { code?: string }) => error.code,
        ),
      )
      .toBe('INVALID_GRANT');
    // This tab's own destroyKey() drops the handle of every client of the namespace at once.
    const again = await signIn(client);
    expect((await client.resourceFetch(again.tokens.accessToken, apiMe)).status).toBe(200);
    await dpopClient(strata).destroyKey();
    await expectStrataError(client.resourceFetch(again.tokens.accessToken, apiMe), 'INVALID_GRANT');
  });

  it('a destruction this tab never heard of (asleep in the back/forward cache): the next sign-in reads storage and drops the held pair', async () => {
    const client = dpopClient(strata);
    const { tokens } = await signIn(client);
    expect((await client.resourceFetch(tokens.accessToken, apiMe)).status).toBe(200); // held now
    await deleteStoredKeyPair(namespace); // another tab signed out; its announcement was missed
    const again = await signIn(dpopClient(strata)); // a new pair, the new tokens bound to it
    expect((await client.resourceFetch(again.tokens.accessToken, apiMe)).status).toBe(200);
  });

  it("a page clock ten minutes behind: proofs carry the server's time, learned from the tokens it issued", async () => {
    const realNow = Date.now.bind(Date);
    Date.now = () => realNow() - 10 * 60_000; // this page's clock, oauth4webapi's included
    try {
      const client = dpopClient(strata);
      const { tokens } = await signIn(client); // the provider's nonce stands in for a fresh iat
      const wire = recordingFetch();
      const me = await client.resourceFetch(tokens.accessToken, apiMe, {}, { fetch: wire.fetch });
      // The resource server checks iat (60 s at most): a proof by the page's clock is refused.
      expect(me.status).toBe(200);
      const iat = jwtClaims(wire.log.at(-1)?.headers.get('dpop') ?? '').iat as number;
      expect(Math.abs(iat - realNow() / 1000)).toBeLessThan(5);
    } finally {
      Date.now = realNow;
    }
  });

  it('logout revokes the refresh token and destroys the key; a token whose key is gone signs out', async () => {
    const client = dpopClient(strata);
    const { tokens } = await signIn(client);
    const manager = new TokenManager({
      storage: strata,
      refresh: (refreshToken) => client.refreshTokens(refreshToken),
      revoke: (refreshToken) => client.signOut(refreshToken),
      proactive: false,
    });
    try {
      await manager.setTokens(tokens);
      await manager.clear();
      expect(await storedKeyPair(namespace)).toBeUndefined();
      expect((await introspect(tokens.refreshToken ?? '')).active).toBe(false);

      // Signed in again, then the key is lost (site data cleared, another tab's logout).
      const again = await signIn(client);
      const cleared: TokenEvents['cleared'][] = [];
      manager.on('cleared', (event) => cleared.push(event));
      await manager.setTokens(again.tokens);
      await dpopClient(strata).destroyKey(); // as another tab's client does on its sign-out
      await expectStrataError(manager.refresh({ force: true }), 'INVALID_GRANT', [
        again.tokens.refreshToken ?? '',
      ]);
      expect(cleared).toEqual([{ reason: 'invalid_grant' }]);
      expect(await manager.getTokens()).toBeUndefined();
      await expectStrataError(
        client.resourceFetch(again.tokens.accessToken, apiMe),
        'INVALID_GRANT',
      );
    } finally {
      manager.dispose();
    }
  });
});
