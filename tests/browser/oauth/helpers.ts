import { expect, inject } from 'vitest';
import { StrataError, type Strata, type TokenManager } from 'strata-storage';
import { OAuthClient, type CallbackResult, type OAuthClientOptions } from 'strata-storage/oauth';

export { eachTestStrata } from '../session/helpers.js';

// OAuthClient against oidc-provider 9.13 (unmodified), started on 127.0.0.1 by
// tests/setup/oidc-provider.global.ts together with a resource server that checks its tokens.
export const issuer = inject('oidcIssuer');
export const resourceServer = inject('resourceServerUrl');
export const apiMe = `${resourceServer}api/me`;
export const CLIENT_ID = 'strata-spa';
export const DPOP_CLIENT_ID = 'strata-spa-dpop';
export const SCOPE = 'openid offline_access api:read';
/** Registered at the provider for the Vitest page's origin. */
export const redirectUri = `${location.origin}/callback`;

/** An OAuthClient of `clientId` at the provider, discovering its metadata. */
export function oauthClient(
  storage: Strata,
  options: Partial<OAuthClientOptions> = {},
): OAuthClient {
  return new OAuthClient({
    issuer,
    clientId: CLIENT_ID,
    scope: SCOPE,
    redirectUri,
    storage,
    ...options,
  });
}

/**
 * Signs in as the user would: the provider's login and consent prompts answered from Node by the
 * setup's `/test/authorize` (see there), for the authorization URL the client built. Resolves
 * with the redirect to `redirectUri` (code, state, iss), not yet handed to the client.
 */
export async function authorize(
  url: string,
  credentials: { login: string; password: string } = { login: 'alice', password: 'password' },
): Promise<string> {
  const response = await fetch(`${issuer}/test/authorize`, {
    method: 'POST',
    body: JSON.stringify({ url, ...credentials }),
  });
  const body = (await response.json()) as { callback?: string; error?: string; body?: string };
  if (!response.ok || body.callback === undefined)
    throw new Error(
      `authorize failed: ${body.error ?? response.status} ${body.body ?? ''} at ${location.origin}`,
    );
  return body.callback;
}

/** The whole sign-in: authorization URL, the provider's prompts, the callback. */
export async function signIn(client: OAuthClient) {
  const url = await client.authorizationUrl();
  const callback = await authorize(url);
  return { url: new URL(url), callback, ...(await client.handleCallback(callback)) };
}

/** Signs in with `client` and hands the callback's tokens to `manager`; resolves with them. */
export async function signInInto(
  client: OAuthClient,
  manager: TokenManager,
): Promise<CallbackResult['tokens']> {
  const { tokens } = await signIn(client);
  await manager.setTokens(tokens);
  return tokens;
}

/** RFC 7662 introspection of `token` at the provider (by a confidential client, from Node). */
export async function introspect(
  token: string,
): Promise<{ active: boolean; [claim: string]: unknown }> {
  const response = await fetch(`${issuer}/test/introspect`, {
    method: 'POST',
    body: JSON.stringify({ token }),
  });
  return (await response.json()) as { active: boolean };
}

/** One request and its answer, as they crossed the wire. */
export interface Exchange {
  url: string;
  method: string;
  headers: Headers;
  body: string;
  status: number;
  responseHeaders: Headers;
}

/** The platform's fetch, recording every request and answer (nothing is changed). */
export function recordingFetch(): { fetch: typeof fetch; log: Exchange[] } {
  const log: Exchange[] = [];
  const recording: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const body = request.body === null ? '' : await request.clone().text();
    const response = await fetch(request);
    log.push({
      url: request.url,
      method: request.method,
      headers: request.headers,
      body,
      status: response.status,
      responseHeaders: response.headers,
    });
    return response;
  };
  return { fetch: recording, log };
}

/** Rejects with a StrataError of `code` whose message shows none of `secrets`. */
export async function expectStrataError(
  promise: Promise<unknown>,
  code: string,
  secrets: readonly string[] = [],
): Promise<StrataError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(StrataError);
  const strataError = error as StrataError;
  expect(strataError.code).toBe(code);
  const shown = `${strataError.message} ${JSON.stringify(strataError)} ${String(strataError.cause ?? '')}`;
  for (const secret of secrets) expect(shown).not.toContain(secret);
  return strataError;
}

/** The payload of a JWT (no validation: the tests read what the server issued). */
export function jwtClaims(jwt: string): Record<string, unknown> {
  const [, payload = ''] = jwt.split('.');
  return JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as Record<string, unknown>;
}

/** The DPoP key pair OAuthClient keeps for `namespace`, read from IndexedDB directly. */
export async function storedKeyPair(namespace: string): Promise<CryptoKeyPair | undefined> {
  const db = await openIdb('strata-dpop');
  if (!db) return undefined;
  try {
    if (!db.objectStoreNames.contains('keys')) return undefined;
    return (await request(db.transaction('keys').objectStore('keys').get(namespace))) as
      CryptoKeyPair | undefined;
  } finally {
    db.close();
  }
}

/** Deletes the stored DPoP key pair of `namespace` behind the SDK's back, as another tab's sign-out does. */
export async function deleteStoredKeyPair(namespace: string): Promise<void> {
  const db = await openIdb('strata-dpop');
  if (!db) return;
  try {
    const tx = db.transaction('keys', 'readwrite');
    tx.objectStore('keys').delete(namespace);
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

/** Databases the SDK shares between namespaces (records keyed by namespace). */
const SHARED_DATABASES = ['strata-dpop', 'strata-keyring'];

/**
 * Every string a namespace left in localStorage, sessionStorage and IndexedDB, the SDK's
 * shared databases included (keys and values, walked through objects, arrays and byte
 * buffers decoded as UTF-8).
 */
export async function everythingStored(namespace: string): Promise<string[]> {
  const out: string[] = [];
  // This namespace's entries and databases, and the SDK's shared ones (other tests' data
  // would only slow the scan: their namespaces are other tests' business).
  const ours = (name: string) =>
    name.includes(encodeURIComponent(namespace)) || SHARED_DATABASES.includes(name);
  for (const area of [localStorage, sessionStorage])
    for (const key of Object.keys(area)) if (ours(key)) out.push(key, area.getItem(key) ?? '');
  for (const { name } of await indexedDB.databases()) {
    if (name === undefined || !ours(name)) continue;
    const db = await openIdb(name);
    if (!db) continue;
    for (const storeName of Array.from(db.objectStoreNames)) {
      const store = db.transaction(storeName).objectStore(storeName);
      const [keys, values] = await Promise.all([
        request(store.getAllKeys()),
        request(store.getAll()),
      ]);
      walk(keys, out);
      walk(values, out);
    }
    db.close();
  }
  return out;
}

/** True when some run of verifier characters in `texts` has the S256 `challenge` (RFC 7636). */
export async function holdsVerifierOf(
  texts: readonly string[],
  challenge: string,
): Promise<boolean> {
  for (const text of texts) {
    for (const run of text.match(/[A-Za-z0-9\-._~]{43,}/g) ?? []) {
      for (let at = 0; at + 43 <= run.length; at++) {
        const candidate = run.slice(at, at + 43);
        const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(candidate));
        if (base64url(new Uint8Array(digest)) === challenge) return true;
      }
    }
  }
  return false;
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

function walk(value: unknown, out: string[]): void {
  if (typeof value === 'string') out.push(value);
  else if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
    const bytes =
      value instanceof ArrayBuffer
        ? new Uint8Array(value)
        : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    out.push(new TextDecoder('utf-8', { fatal: false }).decode(bytes));
  } else if (Array.isArray(value)) for (const item of value) walk(item, out);
  else if (typeof value === 'object' && value !== null && !(value instanceof CryptoKey))
    for (const [key, item] of Object.entries(value)) {
      out.push(key);
      walk(item, out);
    }
}

function openIdb(name: string): Promise<IDBDatabase | undefined> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(name);
    open.onupgradeneeded = () => {
      // it did not exist: leave no empty database behind
      open.transaction?.abort();
    };
    open.onsuccess = () => resolve(open.result);
    open.onerror = () =>
      open.error?.name === 'AbortError' ? resolve(undefined) : reject(open.error);
  });
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}
