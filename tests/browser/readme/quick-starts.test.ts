import { afterEach, expect, inject, it } from 'vitest';
import type { AuthSession, Strata, TokenManager } from 'strata-storage';
import { stats, uniqueUser } from '../../setup/auth-client.js';
import { runReadmeBlock } from './run-block.js';

// The README's quick starts run as written (run-block.ts: each block read out of README.md and
// imported as a module); the names the README's preamble declares are provided here. The sign-in block's
// relative URLs reach the reference auth server through a <base> element.
const authServer = inject('authServerUrl');
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Runs README block `name` (run-block.ts), removing its file after the test. */
async function runBlock<T>(name: string, names: string[]): Promise<T> {
  const { exports, remove } = await runReadmeBlock<T>(name, names);
  cleanups.push(remove);
  return exports;
}

/** The preamble's globals this test provides: `report` collects the codes it is given. */
const reported: string[] = [];
Object.assign(globalThis, { report: (code: string) => reported.push(code) });

it('the quick start runs as written: IndexedDB, encrypted, the cart set, read and cleared by tag', async () => {
  const { store, cart, stop } = await runBlock<{
    store: Strata;
    cart: unknown;
    stop: () => void;
  }>('quick-start', ['store', 'cart', 'stop']);
  cleanups.push(async () => {
    stop();
    await store.destroyKey();
  });
  expect(store.storage).toBe('indexedDB');
  expect(cart).toEqual([{ id: 'sku-1', qty: 2 }]);
  // The block ended with clear({ tags: ['cart'] }): the cart is gone, in every layer.
  expect(await store.get('session:cart')).toBeNull();
  expect(await store.keys('session:')).toEqual([]);
  // What the block does not read back: a new item is stored encrypted, in IndexedDB.
  await store.set('session:probe', 1);
  expect(await store.info('session:probe')).toMatchObject({ encrypted: true, layer: 'indexedDB' });
  expect(reported).toEqual([]);
});

it('the sign-in runs as written against the reference auth server: login, /api/me with the token, logout revokes', async () => {
  const username = uniqueUser('readme');
  Object.assign(globalThis, { credentials: { username, password: 'password' } });
  const base = document.createElement('base');
  base.href = `${authServer}/`;
  document.head.prepend(base);
  cleanups.push(() => base.remove());
  const { storage, tokens, auth, response } = await runBlock<{
    storage: Strata;
    tokens: TokenManager;
    auth: AuthSession;
    response: Response;
  }>('sessions', ['storage', 'tokens', 'auth', 'response']);
  cleanups.push(async () => {
    tokens.dispose();
    auth.dispose();
    await storage.close();
  });
  expect(response.status).toBe(200);
  expect(await response.json()).toMatchObject({ user: { name: username } });
  // The block ends with two sign-outs, the second destroying the key: nothing is left.
  expect(auth.getState()).toMatchObject({ status: 'unauthenticated' });
  expect(await tokens.getAccessToken()).toBeNull();
  expect(await stats(authServer, username)).toMatchObject({
    logins: 1,
    meRequests: 1,
    revokedFamilies: 1,
  });
});
