import { afterEach, describe, expect, it } from 'vitest';
import { TokenManager, type Strata } from 'strata-storage';
import { makeStrata } from '../helpers.js';
import {
  DPOP_CLIENT_ID,
  authorize,
  everythingStored,
  holdsVerifierOf,
  oauthClient,
} from './helpers.js';

// What a sign-in leaves in the browser's storage: with encryption on, no token, PKCE verifier,
// state or nonce in plaintext in localStorage, sessionStorage or any IndexedDB database.
const opened: Strata[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((strata) => strata.close()));
});

async function store(
  encrypted: boolean,
  defaultStorage: 'localStorage' | 'indexedDB' | 'sessionStorage',
) {
  const { strata } = makeStrata({ defaultStorage, encryption: { enabled: encrypted } });
  await strata.ready();
  opened.push(strata);
  return strata;
}

/** A sign-in started: the authorization URL's challenge, state and nonce. */
async function started(strata: Strata, dpop = false) {
  const client = oauthClient(strata, dpop ? { clientId: DPOP_CLIENT_ID, dpop: true } : {});
  const url = new URL(await client.authorizationUrl());
  const get = (name: string) => url.searchParams.get(name) ?? '';
  return {
    client,
    url,
    challenge: get('code_challenge'),
    state: get('state'),
    nonce: get('nonce'),
  };
}

describe('at rest', () => {
  it('the scan finds a pending verifier, state and nonce when encryption is off (the control)', async () => {
    const strata = await store(false, 'localStorage');
    const { challenge, state, nonce } = await started(strata);
    const stored = await everythingStored(strata.namespace);
    expect(await holdsVerifierOf(stored, challenge)).toBe(true);
    expect(stored.join('\n')).toContain(state);
    expect(stored.join('\n')).toContain(nonce);
  });

  it.each(['localStorage', 'indexedDB', 'sessionStorage'] as const)(
    'with encryption on (%s), no verifier, state, nonce or token is readable in any storage',
    async (kind) => {
      const strata = await store(true, kind);
      const { client, url, challenge, state, nonce } = await started(strata, true);
      let stored = await everythingStored(strata.namespace);
      expect(await holdsVerifierOf(stored, challenge)).toBe(false);
      expect(stored.join('\n')).not.toContain(state);
      expect(stored.join('\n')).not.toContain(nonce);

      const { tokens } = await client.handleCallback(await authorize(url.href));
      const manager = new TokenManager({
        storage: strata,
        refresh: (refreshToken) => client.refreshTokens(refreshToken),
        proactive: false,
      });
      try {
        await manager.setTokens(tokens);
        const refreshed = await manager.refresh({ force: true });
        stored = await everythingStored(strata.namespace);
        const text = stored.join('\n');
        for (const secret of [
          tokens.accessToken,
          tokens.refreshToken,
          tokens.idToken,
          refreshed.accessToken,
          refreshed.refreshToken,
        ]) {
          expect(secret).toEqual(expect.any(String));
          // Each token whole, and its signature part alone (a JWT's payload is not secret-free).
          expect(text).not.toContain(secret);
          expect(text).not.toContain(secret?.split('.').at(-1));
        }
        expect(await manager.getAccessToken()).toBe(refreshed.accessToken); // readable through the SDK
      } finally {
        manager.dispose();
      }
    },
  );
});
