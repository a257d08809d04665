import { expect, test, type Tab, openTabs, uniqueNamespace } from './tabs.js';

type Options = Record<string, unknown>;

/** Creates a Strata in the tab as `t.strata`, recording its changes in `t.changes` and errors in `t.errors`. */
async function startStrata(page: Tab, options: Options, pattern = ''): Promise<void> {
  await page.evaluate(
    async ({ options, pattern }) => {
      const t = window.t;
      t.changes = [];
      t.errors = [];
      // A test that sets `t.fallback` (a function cannot cross `evaluate`) opts into it as sync.fallback.
      const sync =
        options.sync && t.fallback
          ? { sync: { ...(options.sync as { enabled: boolean }), fallback: t.fallback as never } }
          : {};
      const strata = new window.S.Strata({
        ...options,
        ...sync,
        onError: (e) => (t.errors as unknown[]).push(e.code),
      });
      await strata.ready();
      strata.subscribe(pattern, (change) => (t.changes as unknown[]).push(change));
      t.strata = strata;
    },
    { options, pattern },
  );
}

const strata = (page: Tab) => ({
  set: (key: string, value: unknown, options: Options = {}) =>
    page.evaluate(
      ({ key, value, options }) =>
        (window.t.strata as InstanceType<typeof window.S.Strata>).set(key, value, options),
      { key, value, options },
    ),
  get: (key: string) =>
    page.evaluate((key) => (window.t.strata as InstanceType<typeof window.S.Strata>).get(key), key),
  keys: () => page.evaluate(() => (window.t.strata as InstanceType<typeof window.S.Strata>).keys()),
  remove: (key: string) =>
    page.evaluate(
      (key) => (window.t.strata as InstanceType<typeof window.S.Strata>).remove(key),
      key,
    ),
  clear: (filter: Options = {}) =>
    page.evaluate(
      (filter) => (window.t.strata as InstanceType<typeof window.S.Strata>).clear(filter),
      filter,
    ),
  changes: () =>
    page.evaluate(
      () =>
        window.t.changes as Array<{
          key: string;
          newValue: unknown;
          oldValue: unknown;
          source: string;
        }>,
    ),
  errors: () => page.evaluate(() => window.t.errors as string[]),
  close: () =>
    page.evaluate(() => (window.t.strata as InstanceType<typeof window.S.Strata>).close()),
});

for (const kind of ['localStorage', 'indexedDB', 'sessionStorage', 'memory'] as const) {
  test(`a change in one tab reaches subscribers of another as remote (${kind})`, async ({
    tabs: context,
  }) => {
    const [a, b] = (await openTabs(context, 2)) as [Tab, Tab];
    const options = {
      namespace: uniqueNamespace('remote'),
      defaultStorage: kind,
      sync: { enabled: true },
    };
    await startStrata(a, options, 'session:*');
    await startStrata(b, options, 'session:*');
    await strata(a).set('session:user', { name: 'Ada' });
    await expect
      .poll(() => strata(b).changes())
      .toEqual([
        { key: 'session:user', oldValue: null, newValue: { name: 'Ada' }, source: 'remote' },
      ]);
    expect(await strata(b).get('session:user')).toEqual({ name: 'Ada' });
    await strata(a).set('other', 1);
    await strata(a).remove('session:user');
    await expect.poll(async () => (await strata(b).changes()).length).toBe(2);
    expect((await strata(b).changes())[1]).toMatchObject({
      key: 'session:user',
      newValue: null,
      source: 'remote',
    });
    expect(await strata(b).get('session:user')).toBeNull();
    // No echo: the writer heard each of its own changes once, as local.
    expect((await strata(a).changes()).map((c) => c.source)).toEqual(['local', 'local']);
  });
}

test('per-tab layers are replicated: sessionStorage of the other tab holds the write', async ({
  tabs: context,
}) => {
  const [a, b] = (await openTabs(context, 2)) as [Tab, Tab];
  const namespace = uniqueNamespace('replica');
  const options = { namespace, defaultStorage: 'sessionStorage', sync: { enabled: true } };
  await startStrata(a, options);
  await startStrata(b, options);
  await strata(a).set('cart', ['apple']);
  await expect
    .poll(() =>
      b.evaluate(
        (ns) =>
          Object.keys(sessionStorage).filter((k) => k.startsWith(encodeURIComponent(ns))).length,
        namespace,
      ),
    )
    .toBe(1);
  await strata(b).close();
  await startStrata(b, { ...options });
  expect(await strata(b).get('cart')).toEqual(['apple']);
});

test('clear with a tag filter propagates to every tab', async ({ tabs: context }) => {
  const [a, b] = (await openTabs(context, 2)) as [Tab, Tab];
  const options = {
    namespace: uniqueNamespace('clear'),
    defaultStorage: 'sessionStorage',
    sync: { enabled: true },
  };
  await startStrata(a, options);
  await startStrata(b, options);
  await strata(a).set('auth-session', 1, { tags: ['auth'] });
  await strata(a).set('prefs', 2);
  await expect.poll(() => strata(b).keys()).toEqual(['auth-session', 'prefs']);
  await strata(b).clear({ tags: ['auth'] });
  await expect.poll(() => strata(a).keys()).toEqual(['prefs']);
  expect(await strata(b).keys()).toEqual(['prefs']);
});

test('encrypted values cross the channel as ciphertext and decrypt in the other tab', async ({
  tabs: context,
}) => {
  const [a, b] = (await openTabs(context, 2)) as [Tab, Tab];
  const namespace = uniqueNamespace('enc');
  const options = {
    namespace,
    defaultStorage: 'sessionStorage',
    encryption: { enabled: true, password: 'shared secret' },
    sync: { enabled: true },
  };
  await startStrata(a, options);
  await startStrata(b, options);
  await b.evaluate((name) => {
    const raw = new BroadcastChannel(name);
    window.t.wire = [];
    raw.onmessage = (event) => (window.t.wire as string[]).push(JSON.stringify(event.data));
  }, `strata:${namespace}`);
  await strata(a).set('token', 'PLAINTEXT-SECRET-123', { tags: ['auth-tag-secret'] });
  await expect.poll(() => strata(b).changes()).toHaveLength(1);
  expect((await strata(b).changes())[0]?.newValue).toBe('PLAINTEXT-SECRET-123');
  const wire = (await b.evaluate(() => window.t.wire as string[])).join('\n');
  expect(wire.length).toBeGreaterThan(0);
  expect(wire).not.toContain('PLAINTEXT-SECRET');
  expect(wire).not.toContain('auth-tag-secret');
  expect(await strata(b).get('token')).toBe('PLAINTEXT-SECRET-123');
});

test('malformed and forged messages are ignored and reported, never applied', async ({
  tabs: context,
}) => {
  const [a, b] = (await openTabs(context, 2)) as [Tab, Tab];
  const namespace = uniqueNamespace('forged');
  await startStrata(b, {
    namespace,
    defaultStorage: 'sessionStorage',
    encryption: { enabled: true },
    sync: { enabled: true },
  });
  await a.evaluate((ns) => {
    const raw = new BroadcastChannel(`strata:${ns}`);
    raw.postMessage('garbage');
    raw.postMessage({ strata: 99, ns, from: 'x', msg: {} });
    raw.postMessage({
      strata: 1,
      ns,
      from: 'x',
      msg: { kind: 'set', key: 'k', layer: 'sessionStorage', record: { v: 1 } },
    });
    // Write stamps no clock can follow (they would poison every later stamp of this tab).
    raw.postMessage({
      strata: 1,
      ns,
      from: 'x',
      msg: {
        kind: 'set',
        key: 'k',
        layer: 'sessionStorage',
        record: { v: 1, p: '1', u: Number.NaN, w: 'x' },
      },
    });
    raw.postMessage({
      strata: 1,
      ns,
      from: 'x',
      msg: { kind: 'remove', keys: ['k'], u: Number.POSITIVE_INFINITY, w: 'x', expired: false },
    });
    raw.postMessage({
      strata: 1,
      ns,
      from: 'x',
      msg: { kind: 'clear', keys: [], u: 1e308, w: 'x' },
    });
    raw.postMessage({
      strata: 1,
      ns,
      from: 'x',
      msg: { kind: 'clear', keys: [], u: 8.64e15 + 1, w: 'x' },
    });
    // Well-formed, but not sealed (this namespace has a key): refused, its stamp not followed.
    raw.postMessage({
      strata: 1,
      ns,
      from: 'x',
      msg: { kind: 'remove', keys: [], u: 8.64e15, w: 'x', expired: false },
    });
    // A sealed-looking record in an unsealed message: refused the same way.
    raw.postMessage({
      strata: 1,
      ns,
      from: 'x',
      msg: {
        kind: 'set',
        key: 'admin',
        layer: 'sessionStorage',
        record: { v: 1, p: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', x: 1, u: 8e15, w: 'x' },
      },
    });
  }, namespace);
  await expect
    .poll(() => strata(b).errors())
    .toEqual([
      'INVALID_MESSAGE',
      'INVALID_MESSAGE',
      'INVALID_MESSAGE',
      'INVALID_MESSAGE',
      'INVALID_MESSAGE',
      'INVALID_MESSAGE',
      'INVALID_MESSAGE',
      'INVALID_MESSAGE',
      'INVALID_MESSAGE',
    ]);
  expect(await strata(b).keys()).toEqual([]);
  expect(await strata(b).changes()).toEqual([]);
  // This tab's clock is untouched: its writes still order and read back.
  await strata(b).set('k', 1);
  await strata(b).set('k', 2);
  expect(await strata(b).get('k')).toBe(2);
  // Read from storage by a new instance (no cache): the record is well-formed.
  expect(
    await b.evaluate(
      (ns) =>
        new window.S.Strata({
          namespace: ns,
          defaultStorage: 'sessionStorage',
          encryption: { enabled: true },
        }).get('k'),
      namespace,
    ),
  ).toBe(2);
});

test('a closed instance stops receiving', async ({ tabs: context }) => {
  const [a, b] = (await openTabs(context, 2)) as [Tab, Tab];
  const options = {
    namespace: uniqueNamespace('closed'),
    defaultStorage: 'localStorage',
    sync: { enabled: true },
  };
  await startStrata(a, options);
  await startStrata(b, options);
  await strata(b).close();
  await strata(a).set('k', 1);
  await new Promise((resolve) => setTimeout(resolve, 0));
  await strata(a).set('k', 2);
  await startStrata(b, options); // a new instance in b hears only what comes after it
  await strata(a).set('k', 3);
  await expect
    .poll(() => strata(b).changes())
    .toEqual([{ key: 'k', oldValue: null, newValue: 3, source: 'remote' }]);
});

for (const kind of ['sessionStorage', 'localStorage'] as const) {
  test(`four tabs writing shared and distinct keys concurrently converge with nothing lost (${kind})`, async ({
    tabs: context,
  }) => {
    const tabs = await openTabs(context, 4);
    const namespace = uniqueNamespace('converge');
    const options = { namespace, defaultStorage: kind, sync: { enabled: true } };
    for (const tab of tabs) await startStrata(tab, options);
    const ROUNDS = 150;
    await Promise.all(
      tabs.map((tab, index) =>
        tab.evaluate(
          async ({ index, ROUNDS }) => {
            const s = window.t.strata as InstanceType<typeof window.S.Strata>;
            const writes: Promise<void>[] = [];
            for (let i = 0; i < ROUNDS; i++) {
              writes.push(s.set(`shared:${i % 5}`, { tab: index, i }));
              writes.push(s.set(`own:${index}:${i}`, i));
              if (i % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
            }
            await Promise.all(writes);
          },
          { index, ROUNDS },
        ),
      ),
    );
    const snapshot = (tab: Tab) =>
      tab.evaluate(async () => {
        const s = window.t.strata as InstanceType<typeof window.S.Strata>;
        const keys = await s.keys();
        const out: Record<string, unknown> = {};
        for (const key of keys) out[key] = await s.get(key);
        return out;
      });
    await expect
      .poll(
        async () => {
          const states = await Promise.all(tabs.map(snapshot));
          return states.every((state) => JSON.stringify(state) === JSON.stringify(states[0]))
            ? Object.keys(states[0] ?? {}).length
            : -1;
        },
        { timeout: 20_000 },
      )
      .toBe(4 * ROUNDS + 5);
    for (const tab of tabs) expect(await strata(tab).errors()).toEqual([]);
  });
}

test('without native BroadcastChannel, the opt-in broadcast-channel fallback carries changes', async ({
  tabs: context,
}) => {
  const [a, b] = (await openTabs(context, 2, { withoutModernApis: true })) as [Tab, Tab];
  expect(await a.evaluate(() => typeof window.BroadcastChannel)).toBe('undefined');
  const options = {
    namespace: uniqueNamespace('fallback-channel'),
    defaultStorage: 'sessionStorage',
    sync: { enabled: true },
  };
  for (const page of [a, b]) {
    await page.evaluate(() => (window.t.fallback = window.F.broadcastChannelFallback));
    await startStrata(page, options);
  }
  await strata(a).set('k', { via: 'fallback' });
  await expect.poll(() => strata(b).get('k'), { timeout: 15_000 }).toEqual({ via: 'fallback' });
  expect(await strata(a).errors()).toEqual([]);
});

test('without native BroadcastChannel and no fallback, sync is off, said once, and storage still works', async ({
  tabs: context,
}) => {
  const [a, b] = (await openTabs(context, 2, { withoutModernApis: true })) as [Tab, Tab];
  const options = {
    namespace: uniqueNamespace('no-channel'),
    defaultStorage: 'localStorage',
    sync: { enabled: true },
  };
  await startStrata(a, options);
  await startStrata(b, options);
  expect(await strata(a).errors()).toEqual(['STORAGE_UNAVAILABLE']);
  await strata(a).set('k', 1);
  expect(await strata(a).get('k')).toBe(1);
  // No channel, so no read cache either: b reads what a wrote straight from localStorage.
  // Chromium hands a localStorage write to other renderers asynchronously, hence the polls.
  await expect.poll(() => strata(b).get('k')).toBe(1);
  await strata(a).set('k', 2);
  await expect.poll(() => strata(b).get('k')).toBe(2);
  expect(await strata(b).changes()).toEqual([]);
});
