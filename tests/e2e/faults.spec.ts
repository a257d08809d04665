import {
  expect,
  expectText,
  openHarness,
  openTabs,
  test,
  uniqueNamespace,
  type Tab,
  type Tabs,
} from './tabs.js';

type Strata = InstanceType<typeof window.S.Strata>;

/** Every key this page's Strata (on `t.strata`) can read, with its value. */
const readAll = (page: Tab, keys: string[]) =>
  page.evaluate(async (keys) => {
    const s = window.t.strata as Strata;
    const out: Record<string, unknown> = {};
    for (const key of keys) out[key] = await s.get(key);
    return out;
  }, keys);

/**
 * Keeps writing in `writer` (several in flight at a time, each acknowledged in `t.acked` once
 * its `set` resolved) until the tab goes away under the loop; `kill` ends the tab once more
 * than 200 writes were acknowledged, and a new tab must then read every one of them.
 */
async function burstThenKill(
  tabs: Tabs,
  kind: 'localStorage' | 'indexedDB',
  kill: (writer: Tab) => Promise<void>,
): Promise<void> {
  const namespace = uniqueNamespace(`burst-${kind}`);
  const writer = await openHarness(tabs);
  void writer
    .evaluate(
      async ({ namespace, kind }) => {
        const s = new window.S.Strata({
          namespace,
          defaultStorage: kind,
          encryption: { enabled: true },
        });
        await s.ready();
        const acked: Record<string, number> = {};
        window.t.acked = acked;
        for (let i = 0; ; i++) {
          const batch = [0, 1, 2, 3].map((j) => {
            const key = `burst:${i}:${j}`;
            const value = i * 4 + j;
            return s.set(key, value).then(() => void (acked[key] = value));
          });
          await Promise.all(batch);
          // Writes to localStorage can settle in microtasks alone: let the driver's calls in.
          await new Promise((resolve) => setTimeout(resolve, 0));
        }
      },
      { namespace, kind },
    )
    .catch(() => undefined);
  const acknowledged = () =>
    writer.evaluate(() => ({ ...((window.t.acked ?? {}) as Record<string, number>) }));
  await expect
    .poll(async () => Object.keys(await acknowledged()).length, { timeout: 20_000 })
    .toBeGreaterThan(200);
  // Writes acknowledged after this snapshot are not checked (the tab dies while answering).
  const snapshot = new Map(Object.entries(await acknowledged()));
  await kill(writer);
  const [reader] = (await openTabs(tabs, 1)) as [Tab];
  await reader.evaluate(
    async ({ namespace, kind }) => {
      window.t.strata = new window.S.Strata({
        namespace,
        defaultStorage: kind,
        encryption: { enabled: true },
      });
    },
    { namespace, kind },
  );
  const found = await readAll(reader, [...snapshot.keys()]);
  const lost = [...snapshot].filter(([key, value]) => found[key] !== value).map(([key]) => key);
  expect(lost, `${lost.length} of ${snapshot.size} acknowledged writes lost`).toEqual([]);
}

for (const kind of ['localStorage', 'indexedDB'] as const) {
  test(`a tab closed in the middle of a write burst loses no acknowledged write (${kind})`, async ({
    tabs,
  }) => {
    await burstThenKill(tabs, kind, (writer) => writer.close());
  });

  test(`a tab crashed in the middle of a write burst loses no acknowledged write (${kind}) (Chromium only: the Firefox and WebKit drivers cannot crash a tab)`, async ({
    tabs,
  }) => {
    await burstThenKill(tabs, kind, async (writer) => {
      if (!writer.crash) throw new Error('this driver cannot crash a tab');
      await writer.crash();
    });
  });
}

test('another tab deleting the IndexedDB database is not blocked by our connection; our next write reopens it', async ({
  tabs,
}) => {
  const [a, b] = (await openTabs(tabs, 2)) as [Tab, Tab];
  const namespace = uniqueNamespace('versionchange');
  await a.evaluate(async (namespace) => {
    window.t.errors = [];
    const s = new window.S.Strata({
      namespace,
      defaultStorage: 'indexedDB',
      onError: (e) => (window.t.errors as string[]).push(e.code),
    });
    window.t.strata = s;
    await s.set('before', 1);
  }, namespace);
  const outcome = await b.evaluate(
    (name) =>
      new Promise<string>((resolve) => {
        const request = indexedDB.deleteDatabase(name);
        request.onsuccess = () => resolve('deleted');
        request.onerror = () => resolve('error');
        request.onblocked = () => resolve('blocked');
      }),
    `strata:${encodeURIComponent(namespace)}`,
  );
  expect(outcome).toBe('deleted');
  await a.evaluate(async () => {
    await (window.t.strata as Strata).set('after', 2);
  });
  expect(await readAll(a, ['before', 'after'])).toEqual({ before: null, after: 2 });
  expect(await a.evaluate(() => (window.t.strata as Strata).storage)).toBe('indexedDB');
  expect(await a.evaluate(() => window.t.errors)).toEqual([]);
});

test('a key rotated in one tab: the other tab is told (KEY_ROTATED), adopts it with rotateKey, and reads the new values', async ({
  tabs,
}) => {
  const [a, b] = (await openTabs(tabs, 2)) as [Tab, Tab];
  const namespace = uniqueNamespace('rotate-tabs');
  const start = (page: Tab) =>
    page.evaluate(async (namespace) => {
      window.t.errors = [];
      const s = new window.S.Strata({
        namespace,
        sync: { enabled: true },
        encryption: { enabled: true, password: 'old pw' },
        onError: (e) => (window.t.errors as string[]).push(e.code),
      });
      await s.ready();
      window.t.strata = s;
    }, namespace);
  await start(a);
  await start(b);
  await a.evaluate(() => (window.t.strata as Strata).set('profile', { v: 1 }));
  // localStorage reaches another tab's process shortly after the write: poll.
  await expect.poll(() => readAll(b, ['profile'])).toEqual({ profile: { v: 1 } });
  await a.evaluate(async () => {
    const s = window.t.strata as Strata;
    await s.rotateKey('new pw');
    await s.set('profile', { v: 2 });
  });
  await expect.poll(() => b.evaluate(() => window.t.errors as string[])).toContain('KEY_ROTATED');
  expect(
    await b.evaluate(() =>
      (window.t.strata as Strata).set('x', 1).then(
        () => 'ok',
        (e: { code: string }) => e.code,
      ),
    ),
  ).toBe('KEY_ROTATED');
  await b.evaluate(() => (window.t.strata as Strata).rotateKey('new pw'));
  await expect.poll(() => readAll(b, ['profile'])).toEqual({ profile: { v: 2 } });
  await b.reload();
  await expectText(b, '#status', 'ready');
  const reopened = await b.evaluate(async (namespace) => {
    const old = new window.S.Strata({
      namespace,
      encryption: { enabled: true, password: 'old pw' },
    });
    const code = await old.ready().then(
      () => 'ok',
      (e: { code: string }) => e.code,
    );
    const fresh = new window.S.Strata({
      namespace,
      encryption: { enabled: true, password: 'new pw' },
    });
    return { code, value: await fresh.get('profile') };
  }, namespace);
  expect(reopened).toEqual({ code: 'WRONG_PASSWORD', value: { v: 2 } });
});

test('a rotation cut short by a page reload is finished by the next page opened with the new password; opened with the old one it reads only what is not re-encrypted yet and cannot write (not in WebKit: its driver loses the window when the page reloads mid-rotation on a loaded machine)', async ({
  tabs,
}) => {
  for (const reopenWith of ['old pw', 'new pw']) {
    const [a] = (await openTabs(tabs, 1)) as [Tab];
    const namespace = uniqueNamespace('rotate-reload');
    const total = 200;
    await a.evaluate(
      async ({ namespace, total }) => {
        const s = new window.S.Strata({
          namespace,
          encryption: { enabled: true, password: 'old pw' },
        });
        for (let i = 0; i < total; i++) await s.set(`k${i}`, { i });
        // A slow device: every encryption takes a few ms, so the reload lands half-way.
        const encrypt = crypto.subtle.encrypt.bind(crypto.subtle);
        crypto.subtle.encrypt = (async (...args: Parameters<typeof encrypt>) => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          return encrypt(...args);
        }) as typeof crypto.subtle.encrypt;
        void s.rotateKey('new pw');
        const prefix = `${encodeURIComponent(namespace)}:`;
        const rotated = () =>
          Object.keys(localStorage).filter(
            (k) => k.startsWith(prefix) && (localStorage.getItem(k) ?? '').includes('\n2.'),
          ).length;
        while (rotated() < 20) await new Promise((resolve) => setTimeout(resolve, 5));
      },
      { namespace, total },
    );
    await a.reload();
    await expectText(a, '#status', 'ready');
    const before = await a.evaluate((namespace) => {
      const prefix = `${encodeURIComponent(namespace)}:`;
      const payloads = Object.keys(localStorage)
        .filter((k) => k.startsWith(prefix))
        .map((k) => localStorage.getItem(k) ?? '');
      return {
        newGen: payloads.filter((p) => p.includes('\n2.')).length,
        oldGen: payloads.filter((p) => !p.includes('\n2.')).length,
        pending: (localStorage.getItem(`${encodeURIComponent(namespace)}#keys`) ?? '').includes(
          '"next"',
        ),
      };
    }, namespace);
    expect(before.pending).toBe(true);
    expect(before.newGen).toBeGreaterThan(0);
    expect(before.oldGen).toBeGreaterThan(0);
    const result = await a.evaluate(
      async ({ namespace, total, reopenWith }) => {
        const resumed = new window.S.Strata({
          namespace,
          encryption: { enabled: true, password: reopenWith },
        });
        let readable = 0;
        for (let i = 0; i < total; i++)
          if ((await resumed.get<{ i: number }>(`k${i}`))?.i === i) readable++;
        const write = await resumed.set('x', 1).then(
          () => 'ok',
          (e: { code: string }) => e.code,
        );
        await resumed.close();
        const fresh = new window.S.Strata({
          namespace,
          encryption: { enabled: true, password: 'new pw' },
        });
        let readableNew = 0;
        for (let i = 0; i < total; i++)
          if ((await fresh.get<{ i: number }>(`k${i}`))?.i === i) readableNew++;
        const old = new window.S.Strata({
          namespace,
          encryption: { enabled: true, password: 'old pw' },
        });
        const oldAfter = await old.ready().then(
          () => 'ok',
          (e: { code: string }) => e.code,
        );
        return { readable, write, oldAfter, readableNew };
      },
      { namespace, total, reopenWith },
    );
    // The old password never learns the new key: what was re-encrypted stays closed to it.
    expect(result).toEqual(
      reopenWith === 'new pw'
        ? { readable: total, write: 'ok', oldAfter: 'WRONG_PASSWORD', readableNew: total }
        : {
            readable: before.oldGen,
            write: 'KEY_ROTATED',
            oldAfter: 'WRONG_PASSWORD',
            readableNew: total,
          },
    );
    await a.close();
  }
});
