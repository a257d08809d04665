import { describe, expect, inject, it } from 'vitest';
import {
  httpRefresh,
  TokenManager,
  type HeldTokens,
  type Strata,
  type TokenManagerOptions,
} from 'strata-storage';
import { stats } from '../../setup/auth-client.js';
import { makeStrata } from '../helpers.js';
import { eachTestStrata, signInAt } from './helpers.js';

// The rotation marker (src/session/rotation-marker.ts) attacked from the outside: raw reads of
// every IndexedDB database and Web Storage area of the origin, and old marker values written
// back into IndexedDB, against the reference auth server (rotating refresh tokens with reuse
// detection: a used token presented again revokes the family and counts as `reuseDetected`).
const server = inject('authServerUrl');
const realRefresh = httpRefresh(`${server}/api/auth/refresh`);
const ROTATION_DB = 'strata-rotation';
/** Catch-up polls run at once (the wait is bounded by its poll count), not on the wall clock. */
const instantPolls = {
  setTimeout: (callback: () => void) => globalThis.setTimeout(callback, 0),
  clearTimeout: (handle: unknown) => globalThis.clearTimeout(handle as number),
};

let strata: Strata;
let namespace: string;
// No sync: no read cache, so a raw record written back is what the next read sees.
const { managers, open } = eachTestStrata((made) => ({ strata, namespace } = made));

function manager(options: Partial<TokenManagerOptions> = {}): TokenManager {
  const tokens = new TokenManager({
    storage: strata,
    refresh: realRefresh,
    proactive: false,
    timers: instantPolls,
    ...options,
  });
  managers.push(tokens);
  return tokens;
}

const signIn = (label: string) => signInAt(server, label);

/** The marker's name in the rotation database: `<namespace>/<keyPrefix>`. */
const markerName = () => `${namespace}/auth:tokens`;

// ── raw IndexedDB, as an attacker with access to the origin's storage sees it ─────────────

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** Opens `name` at whatever version it has; fails loudly rather than hang on a stuck database. */
function openRaw(name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error(`${name} did not open`)), 10_000);
    request(indexedDB.open(name)).then(
      (db) => (clearTimeout(guard), resolve(db)),
      (error: unknown) => (clearTimeout(guard), reject(error)),
    );
  });
}

async function withRotationStore<T>(
  store: 'markers' | 'keys',
  mode: IDBTransactionMode,
  work: (store: IDBObjectStore) => IDBRequest<T>,
): Promise<T> {
  const db = await openRaw(ROTATION_DB);
  try {
    return await request(work(db.transaction(store, mode).objectStore(store)));
  } finally {
    db.close();
  }
}

const readRawMarker = () =>
  withRotationStore('markers', 'readonly', (store) => store.get(markerName())) as Promise<unknown>;
const writeRawMarker = (value: unknown) =>
  withRotationStore('markers', 'readwrite', (store) => store.put(value, markerName()));
const deleteRawMarker = () =>
  withRotationStore('markers', 'readwrite', (store) => store.delete(markerName()));

/** Every value and key of every IndexedDB database and Web Storage area of the origin, as text. */
async function dumpOrigin(): Promise<string> {
  const out: string[] = [];
  for (const area of [localStorage, sessionStorage])
    for (const key of Object.keys(area)) out.push(key, area.getItem(key) ?? '');
  for (const { name } of await indexedDB.databases()) {
    if (!name) continue;
    const db = await openRaw(name);
    try {
      for (const storeName of Array.from(db.objectStoreNames)) {
        const store = db.transaction(storeName).objectStore(storeName);
        const [keys, values] = await Promise.all([
          request(store.getAllKeys()),
          request(store.getAll()),
        ]);
        for (const item of [...keys, ...values]) await flatten(item, out);
      }
    } finally {
      db.close();
    }
  }
  return out.join('\n');
}

/** Pushes every string in `value`; bytes as hex, base64 and Latin-1 (a digest kept as binary). */
async function flatten(value: unknown, out: string[]): Promise<void> {
  if (typeof value === 'string') out.push(value);
  else if (value instanceof Blob) await flatten(new Uint8Array(await value.arrayBuffer()), out);
  else if (value instanceof ArrayBuffer) await flatten(new Uint8Array(value), out);
  else if (ArrayBuffer.isView(value)) {
    const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    const latin1 = Array.from(bytes, (b) => String.fromCharCode(b)).join('');
    out.push(hex(bytes), btoa(latin1), latin1);
  } else if (value instanceof CryptoKey) out.push(`CryptoKey ${value.algorithm.name}`);
  else if (value instanceof Map || value instanceof Set)
    for (const item of value.entries()) await flatten(item, out);
  else if (value !== null && typeof value === 'object')
    for (const [key, item] of Object.entries(value)) {
      out.push(key);
      await flatten(item, out);
    }
}

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** The token and its SHA-256 as hex (either case), base64 and base64url. */
async function traces(token: string): Promise<string[]> {
  const digest = new Uint8Array(
    await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token)),
  );
  const base64 = btoa(String.fromCharCode(...digest));
  const base64url = base64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return [token, hex(digest), hex(digest).toUpperCase(), base64, base64url];
}

/** Fails naming the kind of trace (never the token) when the origin's storage holds one. */
async function expectNoTraceAtRest(tokens: string[]): Promise<void> {
  const dump = await dumpOrigin();
  const labels = ['token', 'sha256-hex', 'sha256-HEX', 'sha256-base64', 'sha256-base64url'];
  for (const [index, token] of tokens.entries())
    for (const [kind, trace] of (await traces(token)).entries())
      expect(dump.includes(trace), `token ${index}: ${labels[kind]} at rest`).toBe(false);
}

const tokensOf = (held: HeldTokens | undefined): string[] =>
  [held?.accessToken, held?.refreshToken, held?.idToken].filter((t): t is string => !!t);

describe('the rotation marker at rest', () => {
  it('persisted tokens: no token and no SHA-256 of one in any IndexedDB database or Web Storage area; the marker is keyed by a non-extractable HMAC key', async () => {
    const { issued } = await signIn('marker-at-rest');
    const tokens = manager();
    await tokens.setTokens(issued);
    const seen = [issued.accessToken, issued.refreshToken, issued.idToken];
    for (let i = 0; i < 2; i++) seen.push(...tokensOf(await tokens.refresh({ force: true })));
    await expectNoTraceAtRest(seen);
    // The marker is there (the cross-tab guard still works), but is no digest of the token.
    const marker = await readRawMarker();
    expect(marker).toMatch(/^\d+\.[0-9a-f]{64}$/);
    const key = (await withRotationStore('keys', 'readonly', (store) =>
      store.get(markerName()),
    )) as CryptoKey;
    expect(key).toBeInstanceOf(CryptoKey);
    expect(key).toMatchObject({ extractable: false, algorithm: { name: 'HMAC' } });
    await expect(crypto.subtle.exportKey('raw', key)).rejects.toThrow();
  });

  it("memory mode: nothing in the origin's IndexedDB or Web Storage holds or is derived from the refresh token, and a persisted mode's marker is deleted", async () => {
    const { issued } = await signIn('marker-memory');
    // Before: this namespace ran with persisted refresh tokens and left its marker.
    const earlier = manager();
    await earlier.setTokens(issued);
    expect(await readRawMarker()).toBeDefined();
    await earlier.clear();
    const { issued: second } = await signIn('marker-memory');
    const tokens = manager({ refreshTokenStorage: 'memory' });
    await tokens.setTokens(second);
    const refreshTokens = [second.refreshToken];
    for (let i = 0; i < 2; i++) {
      const held = await tokens.refresh({ force: true });
      refreshTokens.push(held.refreshToken!);
    }
    await expectNoTraceAtRest([issued.refreshToken, ...refreshTokens]);
    // Nothing at all under this namespace in the rotation database: no marker, no key.
    expect(await readRawMarker()).toBeUndefined();
    expect(
      await withRotationStore('keys', 'readonly', (store) => store.get(markerName())),
    ).toBeUndefined();
  });
});

describe('a marker written back into IndexedDB never makes the SDK spend a used refresh token', () => {
  for (const [label, rollBack] of [
    ['an old marker written back', (old: unknown) => writeRawMarker(old)],
    ['the marker deleted', () => deleteRawMarker()],
  ] as const) {
    it(`${label} while a refresh is at the server: the new tokens are kept and the next refresh spends them`, async () => {
      const { user, issued } = await signIn('marker-during');
      let attack: (() => Promise<unknown>) | undefined;
      const tokens = manager({
        refresh: async (token) => {
          const answer = await realRefresh(token);
          await attack?.(); // after the server rotated, before the result is saved
          return answer;
        },
      });
      await tokens.setTokens(issued);
      const old = await readRawMarker();
      const second = await tokens.refresh({ force: true });
      attack = () => rollBack(old);
      const third = await tokens.refresh({ force: true });
      attack = undefined;
      expect(third.refreshToken).not.toBe(second.refreshToken);
      expect((await tokens.getTokens())?.refreshToken).toBe(third.refreshToken);
      const fourth = await tokens.refresh({ force: true });
      expect(fourth.refreshToken).not.toBe(third.refreshToken);
      expect(await stats(server, user)).toMatchObject({
        refreshRequests: 3,
        refreshes: 3,
        reuseDetected: 0,
        revokedFamilies: 0,
      });
    });
  }

  it('an old marker written back before a refresh: the tab that saw the newer one ignores it and refreshes with the current token', async () => {
    const { user, issued } = await signIn('marker-before');
    const tokens = manager();
    await tokens.setTokens(issued);
    const old = await readRawMarker();
    await tokens.refresh({ force: true });
    await writeRawMarker(old);
    await tokens.refresh({ force: true });
    expect(await stats(server, user)).toMatchObject({ refreshes: 2, reuseDetected: 0 });
  });

  it('the old marker and the old encrypted refresh token written back together: a tab that saw the newer marker sends nothing', async () => {
    const { user, issued } = await signIn('marker-replay');
    const tokens = manager();
    await tokens.setTokens(issued);
    const rawKey = Object.keys(localStorage).find(
      (key) =>
        key.startsWith(encodeURIComponent(namespace)) && key.endsWith(':auth:tokens:refresh'),
    )!;
    const [oldRecord, oldMarker] = [localStorage.getItem(rawKey)!, await readRawMarker()];
    await tokens.refresh({ force: true });
    localStorage.setItem(rawKey, oldRecord);
    await writeRawMarker(oldMarker);
    expect(await strata.get('auth:tokens:refresh')).toBe(issued.refreshToken); // the replay reads back
    await expect(tokens.refresh({ force: true })).rejects.toMatchObject({ code: 'REFRESH_FAILED' });
    expect(await stats(server, user)).toMatchObject({ refreshRequests: 1, reuseDetected: 0 });
  });

  it('a tab that never saw the newer marker waits on the old one, gives up, and sends nothing', async () => {
    const { user, issued } = await signIn('marker-fresh-tab');
    const tokens = manager();
    await tokens.setTokens(issued);
    const old = await readRawMarker();
    await tokens.refresh({ force: true });
    await writeRawMarker(old);
    const reloaded = manager(); // a new page: it knows no marker of its own
    await expect(reloaded.refresh({ force: true })).rejects.toMatchObject({
      code: 'REFRESH_FAILED',
    });
    expect(await stats(server, user)).toMatchObject({ refreshRequests: 1, reuseDetected: 0 });
  });

  it('a forged marker (random bytes in the right shape) matches no token: nothing is sent', async () => {
    const { user, issued } = await signIn('marker-forged');
    const tokens = manager();
    await tokens.setTokens(issued);
    const marker = String(await readRawMarker());
    const forged = `${parseInt(marker, 10) + 1}.${hex(crypto.getRandomValues(new Uint8Array(32)))}`;
    await writeRawMarker(forged);
    await expect(tokens.refresh({ force: true })).rejects.toMatchObject({ code: 'REFRESH_FAILED' });
    expect(await stats(server, user)).toMatchObject({ refreshRequests: 0 });
  });
});

describe('memory mode keeps the cross-tab guard without a marker at rest', () => {
  it("another tab's sign-in while this tab refreshes is not overwritten, and this tab's spent token is never sent again", async () => {
    const first = await signIn('memory-guard-a');
    const second = await signIn('memory-guard-b');
    const options = {
      namespace: `${namespace}-tabs`,
      defaultStorage: 'localStorage' as const,
      encryption: { enabled: true },
      sync: { enabled: true },
    };
    const [tabA, tabB] = [makeStrata(options).strata, makeStrata(options).strata];
    open.push(tabA, tabB);
    const b = manager({ storage: tabB, refreshTokenStorage: 'memory' });
    const a = manager({
      storage: tabA,
      refreshTokenStorage: 'memory',
      refresh: async (token) => {
        const answer = await realRefresh(token);
        await b.setTokens(second.issued); // tab B signs in meanwhile
        return answer;
      },
    });
    await a.setTokens(first.issued);
    await expect(a.refresh({ force: true })).rejects.toMatchObject({ code: 'NOT_AUTHENTICATED' });
    expect(await tabA.get('auth:tokens:access')).toMatchObject({
      accessToken: second.issued.accessToken,
    });
    await expect(a.refresh({ force: true })).rejects.toMatchObject({ code: 'REFRESH_FAILED' });
    expect(await stats(server, first.user)).toMatchObject({ refreshRequests: 1, reuseDetected: 0 });
    expect((await b.refresh({ force: true })).refreshToken).not.toBe(second.issued.refreshToken);
    expect(await stats(server, second.user)).toMatchObject({ refreshes: 1, reuseDetected: 0 });
  });
});
