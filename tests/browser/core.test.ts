import { describe, expect, it } from 'vitest';
import { Strata, StrataError, type StorageChange, type StorageKind } from 'strata-storage';
import { handTimers, makeStrata, uniqueNamespace } from './helpers.js';

const kinds: StorageKind[] = ['localStorage', 'sessionStorage', 'indexedDB', 'memory', 'secure'];

describe.each(kinds)('Strata on %s', (kind) => {
  it('reports the layer in use once ready', async () => {
    const { strata } = makeStrata({ defaultStorage: kind });
    await strata.ready();
    expect(strata.storage).toBe(kind);
    await strata.close();
  });

  it('round-trips JSON-like values, Dates, typed arrays, Maps and Sets', async () => {
    const { strata } = makeStrata({ defaultStorage: kind });
    const value = {
      text: 'héllo ✓',
      n: 42.5,
      neg: -0,
      inf: Infinity,
      nan: NaN,
      yes: true,
      none: null,
      list: [1, 'two', { three: 3 }],
      when: new Date('2026-01-02T03:04:05.006Z'),
      bytes: new Uint8Array([0, 1, 254, 255]),
      floats: new Float64Array([1.5, -2]),
      map: new Map<string, unknown>([
        ['a', 1],
        ['b', [2]],
      ]),
      set: new Set(['x', 'y']),
      nul: { '\u0000': 'user data that looks like a tag' },
    };
    await strata.set('value', value);
    const back = await strata.get<typeof value>('value');
    expect(back).toEqual(value);
    expect(Object.is(back?.neg, -0)).toBe(true);
    expect(back?.when).toBeInstanceOf(Date);
    expect(back?.bytes).toBeInstanceOf(Uint8Array);
    for (const primitive of ['plain', 0, false, null, [], {}]) {
      await strata.set('p', primitive);
      expect(await strata.get('p')).toEqual(primitive);
    }
    await strata.close();
  });

  it('returns null for a missing key, and has() tells presence', async () => {
    const { strata } = makeStrata({ defaultStorage: kind });
    expect(await strata.get('nope')).toBeNull();
    expect(await strata.has('nope')).toBe(false);
    await strata.set('yes', 1);
    expect(await strata.has('yes')).toBe(true);
    await strata.remove('yes');
    expect(await strata.has('yes')).toBe(false);
    expect(await strata.get('yes')).toBeNull();
    await strata.close();
  });

  it('lists keys by prefix and by glob', async () => {
    const { strata } = makeStrata({ defaultStorage: kind });
    for (const key of ['session:a', 'session:b', 'session:c:d', 'guest:cart', 'sessionX'])
      await strata.set(key, key);
    expect(await strata.keys('session:')).toEqual(['session:a', 'session:b', 'session:c:d']);
    expect(await strata.keys('session:*')).toEqual(['session:a', 'session:b', 'session:c:d']);
    expect(await strata.keys('session:*:d')).toEqual(['session:c:d']);
    expect(await strata.keys('*cart')).toEqual(['guest:cart']);
    expect(await strata.keys()).toHaveLength(5);
    await strata.close();
  });

  it('clears by tags, by prefix, by both (AND), and everything', async () => {
    const { strata } = makeStrata({ defaultStorage: kind });
    await strata.set('auth-session', 1, { tags: ['auth', 'user'] });
    await strata.set('user:1:prefs', 2, { tags: ['user'] });
    await strata.set('user:1:cart', 3, { tags: ['cart'] });
    await strata.set('guest:cart', 4, { tags: ['cart'] });
    await strata.set('plain', 5);
    await strata.clear({ tags: ['auth'] });
    expect(await strata.keys()).toEqual(['guest:cart', 'plain', 'user:1:cart', 'user:1:prefs']);
    await strata.clear({ tags: ['cart'], prefix: 'user:' });
    expect(await strata.keys()).toEqual(['guest:cart', 'plain', 'user:1:prefs']);
    await strata.clear({ prefix: 'guest:' });
    expect(await strata.keys()).toEqual(['plain', 'user:1:prefs']);
    await strata.clear();
    expect(await strata.keys()).toEqual([]);
    await strata.close();
  });

  it('clears a prefix exactly: neighbours outside it stay, any key inside it goes', async () => {
    const { strata } = makeStrata({ defaultStorage: kind });
    for (const key of [
      'guest',
      'guest;',
      'guesu:',
      'guest:a',
      'guest:\u{1F600}',
      'guest:\uffff',
      'guest:\uffffz',
    ])
      await strata.set(key, 1);
    expect(await strata.keys('guest:')).toHaveLength(4);
    await strata.clear({ prefix: 'guest:' });
    expect((await strata.keys()).sort()).toEqual(['guest', 'guest;', 'guesu:']);
    await strata.close();
  });

  it('tells local subscribers about sets and removals, by pattern', async () => {
    const { strata } = makeStrata({ defaultStorage: kind });
    const seen: StorageChange[] = [];
    const stop = strata.subscribe('session:*', (change) => seen.push(change));
    await strata.set('session:a', { n: 1 });
    await strata.set('session:a', { n: 2 });
    await strata.set('other', 1);
    await strata.remove('session:a');
    stop();
    await strata.set('session:a', 3);
    expect(seen).toEqual([
      { key: 'session:a', oldValue: null, newValue: { n: 1 }, source: 'local' },
      { key: 'session:a', oldValue: { n: 1 }, newValue: { n: 2 }, source: 'local' },
      { key: 'session:a', oldValue: { n: 2 }, newValue: null, source: 'local' },
    ]);
    await strata.close();
  });

  it('gives callers copies: mutating a returned object changes nothing stored', async () => {
    const { strata } = makeStrata({ defaultStorage: kind, sync: { enabled: true } });
    const original = { list: [1] };
    await strata.set('obj', original);
    original.list.push(2);
    const read = await strata.get<{ list: number[] }>('obj');
    read?.list.push(3);
    expect(await strata.get('obj')).toEqual({ list: [1] });
    await strata.close();
  });
});

describe('Strata instances and namespaces', () => {
  it('close() leaves no timer behind (sweeper, settle checks of watched keys)', async () => {
    const timers = handTimers();
    const { strata } = makeStrata({
      defaultStorage: 'localStorage',
      sync: { enabled: true },
      timers,
    });
    strata.subscribe('k', () => undefined);
    await strata.set('k', 1);
    expect(timers.delays).toContain(1_000); // the settle check of the watched key
    expect(timers.active()).toBeGreaterThan(1);
    await strata.close();
    expect(timers.active()).toBe(0);
  });

  it('close() lets writes already called finish and reach the other tabs', async () => {
    const { strata: a, namespace } = makeStrata({
      encryption: { enabled: true },
      sync: { enabled: true },
    });
    const { strata: b } = makeStrata({
      namespace,
      encryption: { enabled: true },
      sync: { enabled: true },
    });
    await Promise.all([a.ready(), b.ready()]);
    const heard = new Promise<unknown>((resolve) =>
      b.subscribe('k', (change) => resolve(change.newValue)),
    );
    const written = a.set('k', 'last words'); // not awaited before close()
    await a.close();
    await written;
    expect(await heard).toBe('last words');
    expect(await b.get('k')).toBe('last words');
    await b.close();
  });

  it("a removal older than this tab's own per-tab copy leaves it and is not announced as a removal", async () => {
    // Tab a's clock runs 10 s behind, so its removal is older than b's write it has not heard of yet.
    const { strata: a, namespace } = makeStrata({
      defaultStorage: 'localStorage',
      sync: { enabled: true },
      clock: () => Date.now() - 10_000,
    });
    const { strata: b } = makeStrata({
      namespace,
      defaultStorage: 'sessionStorage',
      sync: { enabled: true },
    });
    await Promise.all([a.ready(), b.ready()]);
    const heard: StorageChange[] = [];
    b.subscribe('', (change) => heard.push(change));
    const probed = new Promise<void>((resolve) => b.subscribe('probe', () => resolve()));
    await Promise.all([b.set('k', 'mine'), a.remove('k')]);
    // a's messages reach b in order and are applied one at a time: once a's next write is heard, its removal was applied.
    await a.set('probe', 1);
    await probed;
    expect(await b.get('k')).toBe('mine');
    expect(heard.filter((change) => change.newValue === null)).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });

  it("a newer write from another tab that landed past a per-tab layer is not shadowed by this tab's older copy there", async () => {
    // Tab b keeps its items in sessionStorage; tab a's write went to localStorage (as a write
    // does when sessionStorage is full there).
    const { strata: a, namespace } = makeStrata({
      defaultStorage: 'localStorage',
      sync: { enabled: true },
    });
    const { strata: b } = makeStrata({
      namespace,
      defaultStorage: 'sessionStorage',
      fallbackStorage: 'localStorage',
      sync: { enabled: true },
    });
    await Promise.all([a.ready(), b.ready()]);
    const heard: StorageChange[] = [];
    b.subscribe('', (change) => heard.push(change));
    const heardByA: StorageChange[] = [];
    a.subscribe('', (change) => heardByA.push(change));
    await b.set('k', 'old');
    await expect.poll(() => heardByA.length).toBe(1); // a's clock has passed b's write: a's is newer, not a same-ms tie
    await a.set('k', 'new');
    await expect.poll(() => heard.at(-1)?.newValue).toBe('new');
    expect(await b.get('k')).toBe('new');
    // Read afresh (no cache): the old sessionStorage copy is gone, not hiding the new value.
    const { strata: fresh } = makeStrata({
      namespace,
      defaultStorage: 'sessionStorage',
      fallbackStorage: 'localStorage',
    });
    expect(await fresh.get('k')).toBe('new');
    await Promise.all([a.close(), b.close(), fresh.close()]);
  });

  it.each(['sessionStorage', 'memory'] as const)(
    "two synced instances in one tab on %s hear each other's changes (they share the per-tab store)",
    async (kind) => {
      const { strata: a, namespace } = makeStrata({
        defaultStorage: kind,
        sync: { enabled: true },
      });
      const { strata: b } = makeStrata({
        namespace,
        defaultStorage: kind,
        sync: { enabled: true },
      });
      await Promise.all([a.ready(), b.ready()]);
      const heard: StorageChange[] = [];
      b.subscribe('', (change) => heard.push(change));
      await a.set('k', 'v');
      await expect
        .poll(() => heard)
        .toEqual([{ key: 'k', oldValue: null, newValue: 'v', source: 'remote' }]);
      await Promise.all([a.close(), b.close()]);
    },
  );

  it('isolates namespaces: clear() in one leaves the other untouched', async () => {
    const base = uniqueNamespace('iso');
    const a = new Strata({ namespace: base });
    const b = new Strata({ namespace: `${base}:b` });
    await a.set('k', 'a');
    await b.set('k', 'b');
    await a.clear();
    expect(await a.get('k')).toBeNull();
    expect(await b.get('k')).toBe('b');
    await Promise.all([a.close(), b.close()]);
  });

  it('sees data written by an earlier instance of the same namespace (persistence)', async () => {
    const namespace = uniqueNamespace('persist');
    for (const kind of ['localStorage', 'indexedDB', 'secure'] as const) {
      const first = new Strata({ namespace, defaultStorage: kind });
      await first.set(`k-${kind}`, { kind });
      await first.close();
      const second = new Strata({ namespace, defaultStorage: kind });
      expect(await second.get(`k-${kind}`)).toEqual({ kind });
      await second.close();
    }
  });

  it('fails every call after close() with CLOSED', async () => {
    const { strata } = makeStrata();
    await strata.set('a', 1);
    await strata.close();
    await expect(strata.get('a')).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(strata.set('a', 2)).rejects.toBeInstanceOf(StrataError);
    await expect(strata.ready()).rejects.toMatchObject({ code: 'CLOSED' });
    expect(() => strata.subscribe('a', () => undefined)).toThrow(StrataError);
  });

  it('does not crash when a subscriber throws; the error is reported', async () => {
    const { strata, errors } = makeStrata();
    const seen: string[] = [];
    strata.subscribe('', () => {
      throw new Error('boom');
    });
    strata.subscribe('', (change) => seen.push(change.key));
    await strata.set('a', 1);
    expect(seen).toEqual(['a']);
    expect(errors).toHaveLength(1);
    await strata.close();
  });
});
