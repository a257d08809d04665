import { describe, expect, inject, it } from 'vitest';
import { AuthSession, type StorageKind, type StrataOptions } from 'strata-storage';
import { makeStrata, uniqueNamespace } from '../helpers.js';

/** What the browser does when it evicts an origin: every storage area and database is deleted, cookies stay. */
async function evict(namespace: string): Promise<void> {
  const prefix = encodeURIComponent(namespace);
  for (const key of Object.keys(localStorage))
    if (key.startsWith(prefix)) localStorage.removeItem(key);
  for (const name of [`strata:${prefix}`, `strata-secure:${prefix}`])
    await new Promise<void>((resolve, reject) => {
      const request = indexedDB.deleteDatabase(name);
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error);
    });
}

/** A page load: a new instance on the namespace, with the evictions it reports at start-up. */
async function load(namespace: string, options: StrataOptions) {
  const { strata } = makeStrata({ ...options, namespace });
  const heard: StorageKind[][] = [];
  strata.on('evicted', ({ layers }) => heard.push(layers));
  await strata.ready();
  return { strata, heard };
}

describe('eviction is told apart from a first visit', () => {
  it.each(['localStorage', 'indexedDB'] as const)(
    '%s deleted between page loads: the next load reports it; a first visit does not',
    async (kind) => {
      const namespace = uniqueNamespace('evict');
      const first = await load(namespace, { defaultStorage: kind });
      expect(first.heard).toEqual([]);
      expect(first.strata.status().evicted).toEqual([]);
      await first.strata.set('cart', [1, 2]);
      await first.strata.close();

      const second = await load(namespace, { defaultStorage: kind });
      expect(second.heard).toEqual([]);
      expect(await second.strata.get('cart')).toEqual([1, 2]);
      await second.strata.close();

      await evict(namespace);
      const third = await load(namespace, { defaultStorage: kind });
      expect(third.heard).toEqual([[kind]]);
      expect(third.strata.status().evicted).toEqual([kind]);
      expect(await third.strata.get('cart')).toBeNull();
      // Written again, the layer is marked again: the next load is not an eviction.
      await third.strata.set('cart', [3]);
      await third.strata.close();
      const fourth = await load(namespace, { defaultStorage: kind });
      expect(fourth.heard).toEqual([]);
      await fourth.strata.close();
    },
  );

  it('a store cleared on purpose, or emptied by a tag clear, is not reported as evicted', async () => {
    const namespace = uniqueNamespace('evict');
    const first = await load(namespace, { defaultStorage: 'localStorage' });
    await first.strata.set('token', 't', { tags: ['auth'] });
    await first.strata.clear({ tags: ['auth'] }); // the namespace is empty now
    await first.strata.close();
    const second = await load(namespace, { defaultStorage: 'localStorage' });
    expect(second.heard).toEqual([]);
    await second.strata.set('x', 1);
    await second.strata.clear();
    await second.strata.close();
    // A page load comes after the cookie write has landed: WebKit's document.cookie may lag it.
    const mark = `strata-held-${encodeURIComponent(namespace)}=`;
    await expect
      .poll(() => document.cookie.split('; ').some((c) => c.startsWith(mark)))
      .toBe(false);
    await evict(namespace); // nothing was left to evict, and clear() said so
    const third = await load(namespace, { defaultStorage: 'localStorage' });
    expect(third.heard).toEqual([]);
    await third.strata.close();
  });

  it('AuthSession says a sign-out was caused by eviction', async () => {
    const namespace = uniqueNamespace('evict');
    const first = await load(namespace, { defaultStorage: 'localStorage' });
    await new AuthSession({ storage: first.strata }).login({ userId: 'u1' });
    await first.strata.close();
    await evict(namespace);
    const second = await load(namespace, { defaultStorage: 'localStorage' });
    const auth = new AuthSession({ storage: second.strata });
    expect(await auth.initialize()).toMatchObject({ status: 'unauthenticated', reason: 'evicted' });
    await second.strata.close();

    const fresh = await load(uniqueNamespace('evict'), { defaultStorage: 'localStorage' });
    const state = await new AuthSession({ storage: fresh.strata }).initialize();
    expect(state.status).toBe('unauthenticated');
    expect(state.reason).toBeUndefined();
    await fresh.strata.close();
  });
});

describe('persist: true asks the browser to keep the storage', () => {
  const engine = inject('engine');
  /** What each engine answers (tests/browser/engine-facts.test.ts records the raw answers). */
  const expected: Record<string, string> = {
    chromium: 'denied',
    firefox: 'pending', // Firefox asks the user; ready() does not wait for an answer
    webkit: 'unsupported',
  };

  it(`reports the answer without holding ready() (${engine}: ${expected[engine]})`, async () => {
    const { strata } = makeStrata({ persist: true });
    await strata.ready();
    const answered = expected[engine];
    if (answered === 'denied') await expect.poll(() => strata.status().persistence).toBe('denied');
    expect(strata.status().persistence).toBe(answered);
    const { strata: plain } = makeStrata();
    await plain.ready();
    expect(plain.status().persistence).toBe('not requested');
    await Promise.all([strata.close(), plain.close()]);
  });
});
