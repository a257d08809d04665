import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Strata, StorageChange } from 'strata-storage';
import { makeStrata } from '../helpers.js';

// Two instances on one namespace with sync stand for two tabs. In Chromium another tab's
// localStorage can still show a record for a moment after its removal, and a tab that read
// a record just before the removal may write it back (a sliding read's expiry push). These
// tests put such a stale copy back in localStorage by hand, at the two moments it can land.
// It is not deleted (localStorage cannot delete only if unchanged, and a newer write may
// already have replaced it elsewhere); reads skip it.

const open: Strata[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

function tabs(): { a: Strata; b: Strata; heardByB: StorageChange[] } {
  const { strata: a, namespace } = makeStrata({
    defaultStorage: 'localStorage',
    sync: { enabled: true },
  });
  const { strata: b } = makeStrata({
    namespace,
    defaultStorage: 'localStorage',
    sync: { enabled: true },
  });
  open.push(a, b);
  const heardByB: StorageChange[] = [];
  b.subscribe('', (change) => heardByB.push(change));
  return { a, b, heardByB };
}

/** The raw localStorage entry of `key` in the namespace of `strata`. */
function rawEntry(strata: Strata, key: string): [string, string] {
  const name = Object.keys(localStorage).find(
    (k) => k.startsWith(encodeURIComponent(strata.namespace)) && k.endsWith(key),
  );
  if (!name) throw new Error(`no raw entry for ${key}`);
  return [name, localStorage.getItem(name) as string];
}

describe('a removed item never comes back through a stale copy', () => {
  it('a copy older than a removal this tab heard of reads as missing, and is not slid back to life', async () => {
    const { a, b, heardByB } = tabs();
    await Promise.all([a.ready(), b.ready()]);
    await a.set('session', { user: 'ada' }, { ttl: 60_000, sliding: true });
    await vi.waitFor(() => expect(heardByB.map((c) => c.key)).toEqual(['session']));
    const [name, stale] = rawEntry(a, 'session');
    await a.remove('session');
    await vi.waitFor(() =>
      expect(heardByB.at(-1)).toMatchObject({ key: 'session', newValue: null, source: 'remote' }),
    );
    localStorage.setItem(name, stale); // what a lagging localStorage (or a late write) shows b
    expect(await b.get('session')).toBeNull();
    expect(await b.has('session')).toBe(false);
    expect(await b.keys()).toEqual([]);
  });

  it('a copy written back before the removal message arrives reads as missing once it does', async () => {
    const { a, b, heardByB } = tabs();
    await Promise.all([a.ready(), b.ready()]);
    await a.set('cart', ['pear']);
    await vi.waitFor(() => expect(heardByB.map((c) => c.key)).toEqual(['cart']));
    const [name, stale] = rawEntry(a, 'cart');
    await a.remove('cart');
    localStorage.setItem(name, stale); // b wrote its copy back just before hearing of the removal
    await vi.waitFor(() => expect(heardByB.at(-1)).toMatchObject({ key: 'cart', newValue: null }));
    expect(await b.get('cart')).toBeNull();
    expect(await b.keys()).toEqual([]);
  });

  it('a newer write after the removal is read normally', async () => {
    const { a, b, heardByB } = tabs();
    await Promise.all([a.ready(), b.ready()]);
    await a.set('k', 1);
    await a.remove('k');
    await vi.waitFor(() => expect(heardByB.at(-1)).toMatchObject({ key: 'k', newValue: null }));
    await a.set('k', 2);
    await vi.waitFor(() => expect(heardByB.at(-1)).toMatchObject({ key: 'k', newValue: 2 }));
    expect(await b.get('k')).toBe(2);
  });
});
