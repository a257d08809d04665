import { describe, expect, it } from 'vitest';
import { TokenManager, type Strata, type StrataError, type TokenEvents } from 'strata-storage';
import { OAuthClient } from 'strata-storage/oauth';
import {
  CLIENT_ID,
  apiMe,
  eachTestStrata,
  expectStrataError,
  introspect,
  issuer,
  oauthClient,
  recordingFetch,
  redirectUri,
  signIn,
  signInInto,
} from './helpers.js';

// Refresh (RFC 6749 §6, rotation without grace), revocation (RFC 7009) and the error policy,
// against oidc-provider, standalone and through a TokenManager.
let strata: Strata;
const { managers } = eachTestStrata((made) => ({ strata } = made));

function manager(client: OAuthClient, refreshWith: OAuthClient = client): TokenManager {
  const tokens = new TokenManager({
    storage: strata,
    refresh: (refreshToken) => refreshWith.refreshTokens(refreshToken),
    revoke: (refreshToken) => client.signOut(refreshToken),
    proactive: false,
  });
  managers.push(tokens);
  return tokens;
}

function events(tokens: TokenManager) {
  const seen: { cleared: TokenEvents['cleared'][]; failed: TokenEvents['refreshFailed'][] } = {
    cleared: [],
    failed: [],
  };
  tokens.on('cleared', (event) => seen.cleared.push(event));
  tokens.on('refreshFailed', (event) => seen.failed.push(event));
  return seen;
}

describe('refresh with the RFC 6749 §6 grant', () => {
  it('rotates the refresh token, and the provider refuses the spent one', async () => {
    const wire = recordingFetch();
    const client = oauthClient(strata, { fetch: wire.fetch });
    const { tokens: first } = await signIn(client);
    const spent = first.refreshToken ?? '';
    const second = await client.refreshTokens(spent);

    const grant = new URLSearchParams(wire.log.at(-1)?.body);
    expect(grant.get('grant_type')).toBe('refresh_token');
    expect(grant.get('client_id')).toBe(CLIENT_ID);
    expect(wire.log.at(-1)?.headers.get('content-type')).toMatch(
      /application\/x-www-form-urlencoded/,
    );
    expect(second.tokenType).toBe('Bearer');
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(second.refreshToken).toEqual(expect.any(String));
    expect(second.refreshToken).not.toBe(spent);
    expect(second.idToken).toEqual(expect.any(String));
    expect((await introspect(spent)).active).toBe(false);
    expect((await introspect(second.refreshToken ?? '')).active).toBe(true);

    // Spending it again is a reuse: invalid_grant, and the provider revokes the whole grant.
    await expectStrataError(client.refreshTokens(spent), 'INVALID_GRANT', [spent]);
    expect((await introspect(second.refreshToken ?? '')).active).toBe(false);
  });

  it('through TokenManager: setTokens from the callback, refresh, fetch with the new token', async () => {
    const client = oauthClient(strata);
    const manager1 = manager(client);
    await signInInto(client, manager1);
    const before = await manager1.getTokens();
    const after = await manager1.refresh({ force: true });
    expect(after.refreshToken).not.toBe(before?.refreshToken);
    expect(after.accessToken).not.toBe(before?.accessToken);
    expect(await manager1.getAccessToken()).toBe(after.accessToken);
    expect((await introspect(before?.refreshToken ?? '')).active).toBe(false);
    const me = await manager1.fetch(apiMe);
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ sub: 'alice', scheme: 'Bearer' });
  });

  it('hands back a rotated refresh token whose answer has a bad id_token, and reports it', async () => {
    const reported: StrataError[] = [];
    const client = new OAuthClient({
      issuer,
      tokenEndpoint: `${issuer}/evil/aud/none/token`,
      jwksUri: `${issuer}/jwks`,
      clientId: CLIENT_ID,
      redirectUri,
      storage: strata,
      onError: (error) => reported.push(error),
    });
    const tokens = await client.refreshTokens('a-refresh-token');
    expect(tokens.refreshToken).toEqual(expect.any(String));
    expect(tokens.accessToken).toEqual(expect.any(String));
    expect(tokens.idToken).toBeUndefined();
    expect(reported.map((error) => error.code)).toEqual(['INVALID_ID_TOKEN']);
    expect(reported[0]?.message).not.toContain(tokens.refreshToken);
  });
});

describe('revocation (RFC 7009)', () => {
  it('logout revokes the refresh token: the provider says inactive, the tokens are gone', async () => {
    const client = oauthClient(strata);
    const { tokens } = await signIn(client);
    const refreshToken = tokens.refreshToken ?? '';
    expect((await introspect(refreshToken)).active).toBe(true);
    const manager1 = manager(client);
    await manager1.setTokens(tokens);
    await manager1.clear();
    expect((await introspect(refreshToken)).active).toBe(false);
    expect(await manager1.getTokens()).toBeUndefined();
    // From outside the browser, the revoked token gets nothing.
    await expectStrataError(oauthClient(strata).refreshTokens(refreshToken), 'INVALID_GRANT');
  });

  it('a revocation that fails rejects with REVOCATION_FAILED, naming no token', async () => {
    const client = new OAuthClient({
      issuer,
      tokenEndpoint: `${issuer}/token`,
      revocationEndpoint: `${issuer}/evil/status/503/token`,
      clientId: CLIENT_ID,
      storage: strata,
    });
    await expectStrataError(client.revoke('a-refresh-token'), 'REVOCATION_FAILED', [
      'a-refresh-token',
    ]);
  });
});

describe('the error policy', () => {
  it('invalid_grant signs out', async () => {
    const client = oauthClient(strata);
    const { tokens } = await signIn(client);
    const manager1 = manager(client);
    const seen = events(manager1);
    await manager1.setTokens(tokens);
    await client.revoke(tokens.refreshToken ?? ''); // the grant ends at the server
    await expectStrataError(manager1.refresh({ force: true }), 'INVALID_GRANT', [
      tokens.refreshToken ?? '',
    ]);
    expect(seen.cleared).toEqual([{ reason: 'invalid_grant' }]);
    expect(await manager1.getTokens()).toBeUndefined();
  });

  it('invalid_client is a client fault: reported, not signed out, the refresh token kept', async () => {
    const client = oauthClient(strata);
    const { tokens } = await signIn(client);
    const unknown = oauthClient(strata, { clientId: 'not-registered' });
    const direct = await expectStrataError(
      unknown.refreshTokens(tokens.refreshToken ?? ''),
      'CLIENT_FAULT',
      [tokens.refreshToken ?? ''],
    );
    expect((direct as unknown as { error?: string }).error).toBe('invalid_client');
    expect(direct.message).toContain('invalid_client');

    const manager1 = manager(client, unknown);
    const seen = events(manager1);
    await manager1.setTokens(tokens);
    await expectStrataError(manager1.refresh({ force: true }), 'CLIENT_FAULT');
    expect(seen.cleared).toEqual([]);
    expect(seen.failed.map((event) => event.error.code)).toEqual(['CLIENT_FAULT']);
    expect((await manager1.getTokens())?.refreshToken).toBe(tokens.refreshToken);
    expect((await introspect(tokens.refreshToken ?? '')).active).toBe(true);
  });

  it.each([
    [503, 'temporarily_unavailable'],
    [500, 'server_error'],
  ])('HTTP %i (%s) is transient: REFRESH_FAILED, tokens kept', async (status) => {
    const client = new OAuthClient({
      issuer,
      tokenEndpoint: `${issuer}/evil/status/${status}/token`,
      clientId: CLIENT_ID,
      storage: strata,
    });
    const failure = await expectStrataError(client.refreshTokens('rt-1'), 'REFRESH_FAILED', [
      'rt-1',
    ]);
    expect(failure.message).toContain(`HTTP ${status}`);
    expect((failure as unknown as { status?: number }).status).toBeUndefined();

    const manager1 = manager(client);
    const seen = events(manager1);
    await manager1.setTokens({ accessToken: 'at-1', refreshToken: 'rt-1', expiresIn: 3600 });
    await expectStrataError(manager1.refresh({ force: true }), 'REFRESH_FAILED');
    expect(seen.cleared).toEqual([]);
    expect((await manager1.getTokens())?.refreshToken).toBe('rt-1');
  });

  it('a network failure is transient: NETWORK, tokens kept', async () => {
    const client = new OAuthClient({
      issuer,
      tokenEndpoint: 'http://127.0.0.1:9/token',
      clientId: CLIENT_ID,
      storage: strata,
    });
    await expectStrataError(client.refreshTokens('rt-2'), 'NETWORK', ['rt-2']);
  });
});
