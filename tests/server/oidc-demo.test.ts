import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  SignJWT,
  calculateJwkThumbprint,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
} from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createAppApi } from '../../server/app-api.mjs';
import { API_AUDIENCE } from '../../server/demo-provider.mjs';
import { startOidcDemo, type OidcDemo } from '../../server/oidc-demo.mjs';
import {
  DEMO_ORIGIN,
  proof,
  refresh,
  signIn,
  startSignIn,
  submitLogin,
  type SignedIn,
} from './oidc-demo-flow.js';

// The demo's back end: oidc-provider signs alice in at its own login page, and the app API
// accepts its DPoP-bound access tokens only with a proof that matches them. Every token here
// comes from the provider through the real authorization code flow.
let demo: OidcDemo;
let alice: SignedIn;
const me = () => `${demo.url}/api/me`;

beforeAll(async () => {
  demo = await startOidcDemo({ demoOrigins: [DEMO_ORIGIN] });
  alice = await signIn(demo.issuer);
});
afterAll(() => demo.close());

/** GET `url` with `alice`'s token as `scheme` and the DPoP header `dpop` when given. */
const call = (url: string, token: string, dpop?: string, scheme = 'DPoP') =>
  fetch(url, {
    headers: { authorization: `${scheme} ${token}`, ...(dpop === undefined ? {} : { dpop }) },
  });

/** GET `url` with alice's token and a good proof for it. */
const meWithProof = async (url: string) =>
  call(url, alice.accessToken, await proof(alice.keys, 'GET', url, alice.accessToken));

async function refusedWith(response: Response, error: string, reason?: string) {
  expect(response.status).toBe(401);
  expect(response.headers.get('www-authenticate')).toContain(`error="${error}"`);
  const body = (await response.json()) as { error: string; reason: string };
  expect(body.error).toBe(error);
  if (reason !== undefined) expect(body.reason).toBe(reason);
}

describe('the app API', () => {
  test("accepts the provider's DPoP-bound access token with a matching proof", async () => {
    expect(decodeProtectedHeader(alice.accessToken).typ).toBe('at+jwt');
    expect(decodeJwt(alice.accessToken)).toMatchObject({ aud: API_AUDIENCE, sub: 'alice' });
    const response = await meWithProof(me());
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      user: { id: 'alice', name: 'Alice Example' },
      tokenType: 'DPoP',
    });
  });

  test('session sync and analytics check the token and proof too', async () => {
    const url = `${demo.url}/api/session/sync`;
    const sync = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: `DPoP ${alice.accessToken}`,
        dpop: await proof(alice.keys, 'POST', url, alice.accessToken),
      },
      body: JSON.stringify({ session: { page: 'cart' } }),
    });
    expect(sync.status).toBe(200);
    expect(await sync.json()).toMatchObject({ session: { user: { id: 'alice' } } });
    const analytics = `${demo.url}/api/analytics`;
    const anonymous = await fetch(analytics, {
      method: 'POST',
      body: JSON.stringify({ events: [{ type: 'page_view' }] }),
    });
    expect(await anonymous.json()).toEqual({ received: 1 });
    const badProof = await fetch(analytics, {
      method: 'POST',
      headers: {
        authorization: `DPoP ${alice.accessToken}`,
        dpop: await proof(alice.keys, 'GET', analytics, alice.accessToken),
      },
      body: JSON.stringify({ events: [] }),
    });
    await refusedWith(badProof, 'invalid_dpop_proof', 'wrong htm');
  });

  test('refuses a token whose signature is not the provider’s', async () => {
    const other = await generateKeyPair('RS256');
    const forged = await new SignJWT(decodeJwt(alice.accessToken))
      .setProtectedHeader(decodeProtectedHeader(alice.accessToken) as { alg: string })
      .sign(other.privateKey);
    await refusedWith(
      await call(me(), forged, await proof(alice.keys, 'GET', me(), forged)),
      'invalid_token',
      'not valid',
    );
  });

  test('refuses a token signed with HS256 and the provider’s JWK as the secret', async () => {
    const { keys } = (await (await fetch(`${demo.issuer}/jwks`)).json()) as {
      keys: Array<Record<string, unknown>>;
    };
    const jwk = keys.find((key) => key.kty === 'RSA')!;
    const forged = await new SignJWT(decodeJwt(alice.accessToken))
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: jwk.kid as string })
      .sign(new TextEncoder().encode(JSON.stringify(jwk)));
    await refusedWith(
      await call(me(), forged, await proof(alice.keys, 'GET', me(), forged)),
      'invalid_token',
      'not valid',
    );
  });

  test('refuses a token of another issuer, and one without cnf sent with a proof', async () => {
    const { url, token, jkt, close } = await localApi();
    try {
      const good = await token({ cnf: { jkt } });
      expect((await call(url, good, await proof(alice.keys, 'GET', url, good))).status).toBe(200);
      const foreign = await token({ cnf: { jkt } }, 'https://issuer.invalid');
      await refusedWith(
        await call(url, foreign, await proof(alice.keys, 'GET', url, foreign)),
        'invalid_token',
        'not valid',
      );
      const unbound = await token({});
      await refusedWith(
        await call(url, unbound, await proof(alice.keys, 'GET', url, unbound)),
        'invalid_token',
        'a DPoP-bound token with Authorization: DPoP is required',
      );
    } finally {
      await close();
    }
  });

  test('refuses a call from a foreign Origin with 403 origin_not_allowed', async () => {
    const dpop = await proof(alice.keys, 'GET', me(), alice.accessToken);
    const response = await fetch(me(), {
      headers: { origin: 'https://evil.example', authorization: `DPoP ${alice.accessToken}`, dpop },
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ error: 'origin_not_allowed' });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('refuses an expired token and a token for another audience', async () => {
    const later = await apiServer({ clock: () => Date.now() + 3_600_000 });
    const otherAudience = await apiServer({ audience: 'urn:another:api' });
    try {
      await refusedWith(await meWithProof(`${later.url}/api/me`), 'invalid_token', 'expired');
      await refusedWith(
        await meWithProof(`${otherAudience.url}/api/me`),
        'invalid_token',
        'not valid',
      );
    } finally {
      await Promise.all([later.close(), otherAudience.close()]);
    }
  });

  test('challenges a request without credentials, with no error code (RFC 6750 §3.1)', async () => {
    const response = await fetch(me());
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('DPoP algs="ES256 PS256 RS256 EdDSA"');
  });

  test('advertises the proof algorithms it accepts, and takes the scheme in any case', async () => {
    const refusal = await call(me(), alice.accessToken);
    expect(refusal.headers.get('www-authenticate')).toContain('algs="ES256 PS256 RS256 EdDSA"');
    for (const scheme of ['dpop', 'DPOP']) {
      const dpop = await proof(alice.keys, 'GET', me(), alice.accessToken);
      expect((await call(me(), alice.accessToken, dpop, scheme)).status).toBe(200);
    }
  });

  test('answers CORS for a demo origin without Allow-Credentials (it takes no cookies)', async () => {
    const preflight = await fetch(me(), {
      method: 'OPTIONS',
      headers: { origin: DEMO_ORIGIN, 'access-control-request-method': 'GET' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(DEMO_ORIGIN);
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
    const dpop = await proof(alice.keys, 'GET', me(), alice.accessToken);
    const response = await fetch(me(), {
      headers: { origin: DEMO_ORIGIN, authorization: `DPoP ${alice.accessToken}`, dpop },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(DEMO_ORIGIN);
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });

  test('refuses a missing proof, and a bound token sent as Bearer', async () => {
    await refusedWith(await call(me(), alice.accessToken), 'invalid_dpop_proof', 'no DPoP proof');
    await refusedWith(await call(me(), alice.accessToken, undefined, 'Bearer'), 'invalid_token');
  });

  test('refuses a proof with the wrong ath, htu, key or an old or future iat', async () => {
    const token = alice.accessToken;
    const cases: Array<[Record<string, unknown>, string, CryptoKeyPair?]> = [
      [{ ath: 'dGhpcyBpcyBub3QgdGhlIGhhc2g' }, 'wrong ath'],
      [{ htu: `${demo.url}/api/other` }, 'wrong htu'],
      [{ iat: Math.floor(Date.now() / 1000) - 600 }, 'wrong iat'],
      [{ iat: Math.floor(Date.now() / 1000) + 600 }, 'wrong iat'],
      [{}, 'wrong jkt', await generateKeyPair('ES256')],
    ];
    for (const [claims, reason, keys] of cases)
      await refusedWith(
        await call(me(), token, await proof(keys ?? alice.keys, 'GET', me(), token, claims)),
        'invalid_dpop_proof',
        reason,
      );
  });

  test('refuses a replayed proof (its jti was seen)', async () => {
    const once = await proof(alice.keys, 'GET', me(), alice.accessToken);
    expect((await call(me(), alice.accessToken, once)).status).toBe(200);
    await refusedWith(await call(me(), alice.accessToken, once), 'invalid_dpop_proof', 'wrong jti');
  });

  test('a refused proof spends no jti; an overlong jti is refused', async () => {
    const token = alice.accessToken;
    const jti = randomUUID();
    const other = await generateKeyPair('ES256');
    await refusedWith(
      await call(me(), token, await proof(other, 'GET', me(), token, { jti })),
      'invalid_dpop_proof',
      'wrong jkt',
    );
    await refusedWith(
      await call(me(), token, await proof(alice.keys, 'GET', me(), token, { jti, ath: 'x' })),
      'invalid_dpop_proof',
      'wrong ath',
    );
    const good = await call(me(), token, await proof(alice.keys, 'GET', me(), token, { jti }));
    expect(good.status).toBe(200);
    await refusedWith(
      await call(
        me(),
        token,
        await proof(alice.keys, 'GET', me(), token, { jti: 'j'.repeat(129) }),
      ),
      'invalid_dpop_proof',
      'wrong jti',
    );
  });

  test('the jti ledger forgets a jti two minutes on, and takes new ones again', async () => {
    let offset = 0;
    const { url, token, jkt, close } = await localApi({
      maxProofs: 1,
      clock: () => Date.now() + offset,
    });
    try {
      const access = await token({ cnf: { jkt } }, demo.issuer, '1h');
      const at = () => ({ iat: Math.floor((Date.now() + offset) / 1000) });
      const send = async () => call(url, access, await proof(alice.keys, 'GET', url, access, at()));
      expect((await send()).status).toBe(200);
      expect((await send()).status).toBe(503);
      offset = 121_000;
      expect((await send()).status).toBe(200);
    } finally {
      await close();
    }
  });

  test('a full jti ledger answers 503 with Retry-After', async () => {
    const api = await apiServer({ maxProofs: 2 });
    const url = `${api.url}/api/me`;
    try {
      expect((await meWithProof(url)).status).toBe(200);
      expect((await meWithProof(url)).status).toBe(200);
      const full = await meWithProof(url);
      expect(full.status).toBe(503);
      expect(Number(full.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await full.json()).toMatchObject({ error: 'temporarily_unavailable' });
    } finally {
      await api.close();
    }
  });
});

describe('the provider', () => {
  test('its login page refuses a wrong password and shows the form again', async () => {
    const flow = await startSignIn(demo.issuer);
    expect(flow.page).toContain('alice');
    const wrong = await submitLogin(flow.browser, demo.issuer, flow.page, 'alice', 'nope');
    expect(wrong.status).toBe(401);
    const page = await wrong.text();
    expect(page).toContain('Wrong username or password.');
    expect(page).not.toContain('nope');
  });

  test('its login page answers an unknown sign-in with an escaped message', async () => {
    const response = await fetch(`${demo.issuer}/interaction/unknown`);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain(
      '<main><p>This sign-in has expired. Start it again from the demo page.</p></main>',
    );
  });

  test('its login page limits failed sign-ins per username: 429 with Retry-After', async () => {
    // A username of its own, so the limit does not reach alice's sign-ins in the other tests.
    const flow = await startSignIn(demo.issuer);
    for (let attempt = 0; attempt < 5; attempt++)
      expect((await submitLogin(flow.browser, demo.issuer, flow.page, 'mallory', 'x')).status).toBe(
        401,
      );
    const limited = await submitLogin(flow.browser, demo.issuer, flow.page, 'mallory', 'x');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.text()).toContain('Too many failed sign-ins.');
  });

  test('rotates refresh tokens strictly: a spent one is refused and ends the grant', async () => {
    const session = await signIn(demo.issuer);
    const next = await refresh(session, session.refreshToken);
    expect(next.refresh_token).toBeDefined();
    expect(next.refresh_token).not.toBe(session.refreshToken);
    await expect(refresh(session, session.refreshToken)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    // The reuse revoked the grant: the token it had just issued is dead too.
    await expect(refresh(session, next.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });
});

/**
 * An app API that trusts a key of this test (not the provider's), and `token()` to sign access
 * tokens with it: claims the provider would never issue, verified but for the claim checked.
 */
async function localApi(options: { clock?: () => number; maxProofs?: number } = {}) {
  const signer = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(signer.publicKey)), kid: 'test', alg: 'RS256' };
  const api = await apiServer({ ...options, jwks: createLocalJWKSet({ keys: [jwk] }) });
  const token = (claims: Record<string, unknown>, issuer = demo.issuer, ttl = '1m') =>
    new SignJWT({ sub: 'alice', ...claims })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'test' })
      .setIssuer(issuer)
      .setAudience(API_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(ttl)
      .sign(signer.privateKey);
  const jkt = await calculateJwkThumbprint(await exportJWK(alice.keys.publicKey));
  return { url: `${api.url}/api/me`, token, jkt, close: api.close };
}

/** Another app API on its own port, over the same provider. */
async function apiServer(options: {
  clock?: () => number;
  audience?: string;
  jwks?: Parameters<typeof createAppApi>[0]['jwks'];
  maxProofs?: number;
}): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const handle = createAppApi({
    issuer: demo.issuer,
    audience: options.audience ?? API_AUDIENCE,
    origins: [url],
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.maxProofs ? { maxProofs: options.maxProofs } : {}),
    ...(options.jwks ? { jwks: options.jwks } : {}),
  });
  server.on('request', (req, res) => void handle(req, res));
  return { url, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
