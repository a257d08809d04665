import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StrataOptions } from 'strata-storage';
import { makeStrata } from '../helpers.js';
import { domError, patch } from './patch.js';

let restore: Array<() => void> = [];
afterEach(() => {
  restore.reverse().forEach((undo) => undo());
  restore = [];
});

type Fallback = NonNullable<NonNullable<StrataOptions['sync']>['fallback']>;

/** An in-page message bus standing in for BroadcastChannel: every channel of a name hears the others. */
function pageBus(): { fallback: Fallback; delivered: Array<{ name: string; data: unknown }> } {
  const listeners = new Map<string, Set<(data: unknown) => void>>();
  const delivered: Array<{ name: string; data: unknown }> = [];
  const fallback: Fallback = (name, receive) => {
    const group = listeners.get(name) ?? new Set();
    listeners.set(name, group);
    group.add(receive);
    return {
      post: async (data) => {
        for (const other of group) {
          if (other === receive) continue;
          setTimeout(() => {
            delivered.push({ name, data });
            other(structuredClone(data));
          }, 0);
        }
      },
      close: async () => void group.delete(receive),
    };
  };
  return { fallback, delivered };
}

describe('start-up failures that may pass', () => {
  it('a key store that fails to open once does not poison the instance: the next ready() starts afresh', async () => {
    const open = IDBFactory.prototype.open;
    let failures = 0;
    restore.push(
      patch(
        IDBFactory.prototype,
        'open',
        function (this: IDBFactory, ...args: Parameters<IDBFactory['open']>) {
          if (args[0] === 'strata-keyring' && failures++ === 0) throw domError('UnknownError');
          return open.apply(this, args);
        },
      ),
    );
    const { strata } = makeStrata({ defaultStorage: 'indexedDB', encryption: { enabled: true } });
    await expect(strata.ready()).rejects.toBeDefined();
    await strata.ready();
    await strata.set('k', { v: 1 });
    expect(await strata.get('k')).toEqual({ v: 1 });
    expect(failures).toBeGreaterThan(1);
    await strata.close();
  });

  it('a wrong password stays final: not retried (no second derivation) and the metadata is left alone', async () => {
    const password = 'right horse battery';
    const { strata: first, namespace } = makeStrata({
      defaultStorage: 'localStorage',
      encryption: { enabled: true, password },
    });
    await first.set('k', 1);
    await first.close();
    const deriveKey = crypto.subtle.deriveKey;
    let derivations = 0;
    restore.push(
      patch(
        crypto.subtle,
        'deriveKey',
        function (this: SubtleCrypto, ...args: Parameters<SubtleCrypto['deriveKey']>) {
          derivations++;
          return deriveKey.apply(this, args);
        },
      ),
    );
    const { strata } = makeStrata({
      namespace,
      defaultStorage: 'localStorage',
      encryption: { enabled: true, password: 'wrong horse battery' },
    });
    await expect(strata.ready()).rejects.toMatchObject({ code: 'WRONG_PASSWORD' });
    await expect(strata.get('k')).rejects.toMatchObject({ code: 'WRONG_PASSWORD' });
    await expect(strata.set('k', 2)).rejects.toMatchObject({ code: 'WRONG_PASSWORD' });
    expect(derivations).toBe(1);
    await strata.close();
    const { strata: again } = makeStrata({
      namespace,
      defaultStorage: 'localStorage',
      encryption: { enabled: true, password },
    });
    expect(await again.get('k')).toBe(1);
    await again.close();
  });

  it('key metadata that cannot be read is not taken for "none": no new key is set up over it', async () => {
    const { strata: first, namespace } = makeStrata({
      defaultStorage: 'indexedDB',
      encryption: { enabled: true, password: 'pw-metadata-kept' },
    });
    await first.set('k', 'kept');
    await first.close();
    const get = IDBObjectStore.prototype.get;
    let failing = true;
    restore.push(
      patch(
        IDBObjectStore.prototype,
        'get',
        function (this: IDBObjectStore, query: IDBValidKey | IDBKeyRange) {
          if (failing && this.name === 'meta') throw domError('UnknownError');
          return get.call(this, query);
        },
      ),
    );
    const { strata } = makeStrata({
      namespace,
      defaultStorage: 'indexedDB',
      encryption: { enabled: true, password: 'pw-metadata-kept' },
    });
    await expect(strata.ready()).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    failing = false;
    expect(await strata.get('k')).toBe('kept');
    await strata.close();
  });

  it('a sync.fallback that throws is reported and leaves the store working without sync', async () => {
    restore.push(
      patch(globalThis as { BroadcastChannel?: unknown }, 'BroadcastChannel', undefined),
    );
    const { strata, errors } = makeStrata({
      defaultStorage: 'localStorage',
      sync: {
        enabled: true,
        fallback: () => {
          throw new Error('no transport');
        },
      },
    });
    await strata.ready();
    await strata.set('k', 'v');
    expect(await strata.get('k')).toBe('v');
    expect(errors.map((e) => e.code)).toEqual(['STORAGE_UNAVAILABLE']);
    expect(errors[0]?.message).toContain('sync.fallback');
    await strata.close();
  });

  it(
    'a sync.fallback that never opens times out once (TIMEOUT, reported); its late channel passes nothing on and is closed; storage and encryption still work',
    { timeout: 30_000 },
    async () => {
      restore.push(
        patch(globalThis as { BroadcastChannel?: unknown }, 'BroadcastChannel', undefined),
      );
      const opened: Array<{ name: string; receive: (data: unknown) => void; release: () => void }> =
        [];
      const closed: string[] = [];
      const fallback: Fallback = (name, receive) =>
        new Promise((resolve) => {
          opened.push({
            name,
            receive,
            release: () =>
              resolve({ post: async () => undefined, close: async () => void closed.push(name) }),
          });
        });
      const { strata, errors } = makeStrata({
        defaultStorage: 'localStorage',
        encryption: { enabled: true },
        sync: { enabled: true, fallback },
      });
      await strata.ready();
      await strata.set('k', 'secret-value');
      expect(await strata.get('k')).toBe('secret-value');
      // The key channel's open timed out; the sync channel did not wait a second time.
      expect(opened.map((o) => o.name)).toEqual([`strata-keys:${strata.namespace}`]);
      expect(errors.map((e) => e.code)).toEqual(['TIMEOUT']);
      expect(errors[0]?.message).toContain('sync.fallback');
      for (const { receive, release } of opened) {
        // A key event on the timed-out channel is not passed on (it would stop writes with KEY_ROTATED).
        receive({
          strataKeys: 1,
          ns: strata.namespace,
          from: 'another-tab',
          phase: 'rotated',
          gen: 99,
        });
        release();
      }
      await vi.waitFor(() => expect(closed).toEqual([`strata-keys:${strata.namespace}`]));
      await strata.set('k', 'still written with the key');
      expect(await strata.get('k')).toBe('still written with the key');
      expect(errors.map((e) => e.code)).toEqual(['TIMEOUT']);
      await strata.close();
    },
  );

  it('without BroadcastChannel, key changes travel on sync.fallback: a tab drops a destroyed key instead of writing with it', async () => {
    restore.push(
      patch(globalThis as { BroadcastChannel?: unknown }, 'BroadcastChannel', undefined),
    );
    const { fallback, delivered } = pageBus();
    const options: StrataOptions = {
      defaultStorage: 'localStorage',
      encryption: { enabled: true },
      sync: { enabled: true, fallback },
    };
    const { strata: a, namespace } = makeStrata(options);
    const { strata: b } = makeStrata({ ...options, namespace });
    await a.set('k', 1);
    expect(await b.get('k')).toBe(1);
    await a.destroyKey();
    const keyDestroyed = ({ name, data }: { name: string; data: unknown }): boolean =>
      name === `strata-keys:${namespace}` && (data as { phase?: string }).phase === 'destroyed';
    await vi.waitFor(() => expect(delivered.some(keyDestroyed)).toBe(true));
    expect(await b.get('k')).toBeNull();
    await b.set('after', 2); // with a fresh key, not the destroyed one
    await Promise.all([a.close(), b.close()]);
    const { strata: later } = makeStrata({
      defaultStorage: 'localStorage',
      encryption: { enabled: true },
      namespace,
    });
    expect(await later.get('after')).toBe(2);
    await later.close();
  });
});
