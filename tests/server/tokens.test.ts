import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { login, uniqueUser } from '../setup/auth-client.js';
import { request, startServer, type TestServer } from './server.js';

const START = Date.UTC(2030, 0, 1, 12, 0, 0, 250);
let t: TestServer;
beforeAll(async () => {
  t = await startServer({}, START);
});
afterAll(() => t.server.close());

describe('JWTs', () => {
  test('the access token verifies against the JWKS, with claims and iat/exp from the server clock', async () => {
    const { user, tokens } = await login(t.url, uniqueUser('jwt'));
    const jwks = createRemoteJWKSet(new URL(`${t.url}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(tokens.accessToken, jwks, {
      issuer: 'strata-demo',
      currentDate: new Date(t.now()),
    });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: expect.any(String) });
    expect(payload).toEqual({
      sub: user.id,
      name: user.name,
      roles: ['user'],
      permissions: ['cart:write', 'profile:read'],
      sid: expect.any(String),
      jti: expect.any(String),
      iss: 'strata-demo',
      iat: Math.floor(START / 1000),
      exp: Math.ceil((START + 900_000) / 1000),
    });
    // Dated by the injected clock (2030): expired 900 s after that, whatever the real date.
    await expect(
      jwtVerify(tokens.accessToken, jwks, { currentDate: new Date(START + 901_000) }),
    ).rejects.toThrow(/exp/);
    const id = await jwtVerify(tokens.idToken, jwks, { currentDate: new Date(t.now()) });
    expect(id.payload).toMatchObject({ sub: user.id, name: user.name, email: user.email });
    expect(id.payload).not.toHaveProperty('roles');
  });

  test('every token has its own jti and the JWKS kid matches the header', async () => {
    const username = uniqueUser('jti');
    const a = await login(t.url, username);
    const b = await login(t.url, username);
    const jwks = await request<{ keys: Array<{ kid: string; alg: string }> }>(
      t.url,
      '/.well-known/jwks.json',
    );
    expect(jwks.body.keys).toEqual([
      expect.objectContaining({
        kty: 'EC',
        crv: 'P-256',
        alg: 'ES256',
        kid: decodeProtectedHeader(a.tokens.accessToken).kid,
      }),
    ]);
    expect(jwks.body.keys[0]).not.toHaveProperty('d');
    const jti = (token: string) =>
      JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).jti;
    expect(jti(a.tokens.accessToken)).not.toBe(jti(b.tokens.accessToken));
  });
});

describe('GET /api/me', () => {
  test('answers the user for a valid Bearer token', async () => {
    const { user, tokens } = await login(t.url, uniqueUser('me'));
    expect(await request(t.url, '/api/me', { token: tokens.accessToken })).toMatchObject({
      status: 200,
      body: { user },
    });
  });

  test('answers 401 invalid_token without a token, with a forged one, or a malformed header', async () => {
    const { tokens } = await login(t.url, uniqueUser('forged'));
    const [header, payload] = tokens.accessToken.split('.');
    const forgedPayload = Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from(payload!, 'base64url').toString()),
        roles: ['admin'],
      }),
    ).toString('base64url');
    const forged = `${header}.${forgedPayload}.${tokens.accessToken.split('.')[2]}`;
    for (const init of [
      {},
      { token: 'not-a-jwt' },
      { token: forged },
      { headers: { Authorization: `Basic ${tokens.accessToken}` } },
    ]) {
      expect(await request(t.url, '/api/me', init)).toMatchObject({
        status: 401,
        body: { error: 'invalid_token' },
      });
    }
  });

  test('a token expires by the server clock: valid 1 s before exp, 401 at exp', async () => {
    const username = uniqueUser('expiry');
    const { tokens } = await login(t.url, username, { accessTtl: 60 });
    const exp = JSON.parse(Buffer.from(tokens.accessToken.split('.')[1]!, 'base64url').toString())
      .exp as number;
    t.advance(exp * 1000 - 1000 - t.now());
    expect((await request(t.url, '/api/me', { token: tokens.accessToken })).status).toBe(200);
    t.advance(1000);
    expect(await request(t.url, '/api/me', { token: tokens.accessToken })).toMatchObject({
      status: 401,
      body: { error: 'invalid_token' },
    });
    // Expired requests still count for that user, so tests can see a client's retry.
    expect(t.server.stats(username).meRequests).toBe(2);
  });
});
