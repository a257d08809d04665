// The cost of DPoP (RFC 9449) on a resource call, against a raw Web Crypto ECDSA P-256 sign in
// the same page: what `OAuthClient.resourceFetch` adds per call with `dpop: true` (a fresh proof
// with `htm`, `htu`, `ath`, `jti`, signed ES256 by the key pair the tab holds in memory after the
// first call read it from IndexedDB) over the same call with a Bearer token, and oauth4webapi's
// proof alone over a key pair in memory (what the SDK's figure should come close to).
// The fetch answers at once, in the page: only the client's work is timed.
import { Strata } from 'strata-storage';
import { OAuthClient } from 'strata-storage/oauth';
import * as oauth from 'oauth4webapi';

const now = (): number => performance.now();
/** A JWT-sized access token (the proof's `ath` hashes it). */
const ACCESS_TOKEN = `eyJhbGciOiJSUzI1NiJ9.${'x'.repeat(600)}.${'s'.repeat(342)}`;
const RESOURCE = 'https://api.example/me';
const answered: typeof fetch = async () => new Response('{}', { status: 200 });

/**
 * Per operation, in µs: a raw ES256 sign, a Bearer resource call, a DPoP resource call, and
 * oauth4webapi's DPoP request with the key pair in memory.
 */
export interface DPoPCost {
  rawSign: number;
  bearerCall: number;
  dpopCall: number;
  proofInMemory: number;
}

/** Times each of the three `reps` times in a row (after a few unmeasured runs). */
export async function dpopCost(reps: number): Promise<DPoPCost> {
  const strata = new Strata({ namespace: `dpop-${crypto.randomUUID()}`, defaultStorage: 'memory' });
  await strata.ready();
  const client = (dpop: boolean) =>
    new OAuthClient({
      authorizationEndpoint: 'https://as.example/authorize',
      tokenEndpoint: 'https://as.example/token',
      clientId: 'bench',
      redirectUri: 'https://app.example/callback',
      dpop,
      storage: strata,
    });
  const dpop = client(true);
  await dpop.authorizationUrl(); // generates and stores the non-extractable key pair
  const bearer = client(false);
  const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  // What a proof signs: a header with the public JWK and a payload of five claims, encoded.
  const signingInput = new TextEncoder().encode('h'.repeat(190) + '.' + 'p'.repeat(190));
  const handle = oauth.DPoP({}, keys);
  const runs = {
    rawSign: () =>
      crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, keys.privateKey, signingInput),
    bearerCall: () => bearer.resourceFetch(ACCESS_TOKEN, RESOURCE, {}, { fetch: answered }),
    dpopCall: () => dpop.resourceFetch(ACCESS_TOKEN, RESOURCE, {}, { fetch: answered }),
    proofInMemory: () =>
      oauth.protectedResourceRequest(ACCESS_TOKEN, 'GET', new URL(RESOURCE), new Headers(), null, {
        DPoP: handle,
        [oauth.customFetch]: async () => new Response('{}', { status: 200 }),
      }),
  };
  const cost = {} as DPoPCost;
  for (const [name, run] of Object.entries(runs) as Array<
    [keyof DPoPCost, () => Promise<unknown>]
  >) {
    for (let i = 0; i < 20; i++) await run(); // compiled before it is timed
    const start = now();
    for (let i = 0; i < reps; i++) await run();
    cost[name] = ((now() - start) * 1000) / reps;
  }
  await dpop.destroyKey();
  await strata.close();
  return cost;
}
