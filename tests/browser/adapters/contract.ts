import { describe, expect, it } from 'vitest';
import type { StorageAdapter } from '../../../src/adapters/adapter.js';
import type { StoredRecord } from '../../../src/record.js';
import { uniqueNamespace } from '../helpers.js';

const record = (p: string, extra: Partial<StoredRecord> = {}): StoredRecord => ({
  v: 1,
  p,
  u: 1,
  w: 'w',
  ...extra,
});

/**
 * The behaviour every storage adapter must have. Each kind runs it; `additionalTests`
 * adds what is particular to one backend.
 */
export function testAdapter(
  name: string,
  create: (namespace: string) => StorageAdapter,
  additionalTests?: (create: (namespace: string) => StorageAdapter) => void,
): void {
  describe(`adapter contract: ${name}`, () => {
    const fresh = (): StorageAdapter => create(uniqueNamespace(name));

    it('is available in Chromium', async () => {
      expect(await fresh().isAvailable()).toBe(true);
    });

    it('reads back what it wrote, and undefined for a missing key', async () => {
      const adapter = fresh();
      await adapter.write('a', record('"one"', { e: 5, t: 4, s: 1, g: ['x'] }));
      expect(await adapter.read('a')).toEqual(record('"one"', { e: 5, t: 4, s: 1, g: ['x'] }));
      expect(await adapter.read('missing')).toBeUndefined();
    });

    it('overwrites and deletes', async () => {
      const adapter = fresh();
      await adapter.write('k', record('1'));
      await adapter.write('k', record('2'));
      expect((await adapter.read('k'))?.p).toBe('2');
      await adapter.delete('k');
      expect(await adapter.read('k')).toBeUndefined();
      await adapter.delete('never-there');
    });

    it('lists keys by prefix and leaves out expired ones', async () => {
      const adapter = fresh();
      await adapter.write('session:a', record('1'));
      await adapter.write('session:b', record('2', { e: 100 }));
      await adapter.write('other', record('3'));
      expect((await adapter.keys('session:', 50)).sort()).toEqual(['session:a', 'session:b']);
      expect((await adapter.keys('session:', 100)).sort()).toEqual(['session:a']);
      expect((await adapter.keys('', 0)).sort()).toEqual(['other', 'session:a', 'session:b']);
      expect(await adapter.expiredKeys(100)).toEqual(['session:b']);
    });

    it('finds keys by any of several tags, narrowed by prefix', async () => {
      const adapter = fresh();
      await adapter.write('u:1', record('1', { g: ['auth', 'user'] }));
      await adapter.write('u:2', record('2', { g: ['user'] }));
      await adapter.write('c:1', record('3', { g: ['cart'] }));
      expect((await adapter.keysTagged(['auth', 'cart'], '')).sort()).toEqual(['c:1', 'u:1']);
      expect((await adapter.keysTagged(['user'], 'u:')).sort()).toEqual(['u:1', 'u:2']);
      expect(await adapter.keysTagged(['none'], '')).toEqual([]);
    });

    it('keeps namespaces apart, even ones that look alike', async () => {
      const base = uniqueNamespace(name);
      const a = create(`${base}:x`);
      const b = create(base);
      await a.write('k', record('"a"'));
      await b.write('x:k', record('"b"'));
      expect((await a.read('k'))?.p).toBe('"a"');
      expect(await b.allKeys()).toEqual(['x:k']);
      expect(await a.allKeys()).toEqual(['k']);
    });

    it('keeps metadata outside the key space', async () => {
      const adapter = fresh();
      await adapter.writeMeta('keys', '{"v":1}');
      expect(await adapter.readMeta('keys')).toBe('{"v":1}');
      expect(await adapter.readMeta('other')).toBeUndefined();
      expect(await adapter.allKeys()).toEqual([]);
    });

    it('stores keys with unusual characters intact', async () => {
      const adapter = fresh();
      const keys = [
        '*',
        'a:b:c',
        '__proto__',
        'constructor',
        'ключ ✓ 🗝',
        ' '.repeat(3),
        'x'.repeat(2000),
      ];
      for (const key of keys) await adapter.write(key, record(JSON.stringify(key)));
      for (const key of keys) expect((await adapter.read(key))?.p).toBe(JSON.stringify(key));
      expect((await adapter.allKeys()).sort()).toEqual([...keys].sort());
    });

    it('names its kind, and is shared exactly when other tabs see it', () => {
      const adapter = fresh();
      expect(adapter.kind).toBe(name);
      expect(adapter.shared).toBe(name !== 'memory' && name !== 'sessionStorage');
    });

    it('what one instance wrote, another instance of the namespace reads', async () => {
      const namespace = uniqueNamespace(name);
      const first = create(namespace);
      await first.write('k', record('"kept"', { e: 9, g: ['t'] }));
      await first.close();
      const second = create(namespace);
      expect(await second.read('k')).toEqual(record('"kept"', { e: 9, g: ['t'] }));
      expect(await second.allKeys()).toEqual(['k']);
      await second.close();
    });

    it('a burst of writes and deletes issued together all land, in order per key', async () => {
      const adapter = fresh();
      const keys = Array.from({ length: 40 }, (_, i) => `b${i}`);
      await Promise.all(keys.map((key) => adapter.write(key, record(`"${key}"`))));
      await Promise.all([
        ...keys.slice(0, 20).map((key) => adapter.delete(key)),
        adapter.write('b39', record('"last"')),
      ]);
      expect((await adapter.allKeys()).sort()).toEqual(keys.slice(20).sort());
      expect((await adapter.read('b39'))?.p).toBe('"last"');
      expect(await Promise.all([adapter.read('b0'), adapter.read('b20')])).toEqual([
        undefined,
        record('"b20"'),
      ]);
    });

    it('expiry is "at or before now": keys() and expiredKeys() agree at the boundary', async () => {
      const adapter = fresh();
      await adapter.write('edge', record('1', { e: 100 }));
      await adapter.write('later', record('2', { e: 200 }));
      await adapter.write('never', record('3'));
      expect((await adapter.keys('', 99)).sort()).toEqual(['edge', 'later', 'never']);
      expect(await adapter.expiredKeys(99)).toEqual([]);
      expect((await adapter.keys('', 100)).sort()).toEqual(['later', 'never']);
      expect(await adapter.expiredKeys(100)).toEqual(['edge']);
      expect((await adapter.expiredKeys(1e15)).sort()).toEqual(['edge', 'later']);
      // A rewrite moves the expiry: the old one no longer counts.
      await adapter.write('edge', record('1', { e: 300 }));
      expect((await adapter.expiredKeys(250)).sort()).toEqual(['later']);
      await adapter.write('later', record('2'));
      expect(await adapter.expiredKeys(250)).toEqual([]);
    });

    it('allKeys() and keysTagged() list expired records too; keys() does not', async () => {
      const adapter = fresh();
      await adapter.write('old', record('1', { e: 10, g: ['t'] }));
      await adapter.write('new', record('2', { g: ['t'] }));
      expect((await adapter.allKeys()).sort()).toEqual(['new', 'old']);
      expect((await adapter.keysTagged(['t'], '')).sort()).toEqual(['new', 'old']);
      expect(await adapter.keys('', 50)).toEqual(['new']);
    });

    it('tags follow the latest write and leave with a delete', async () => {
      const adapter = fresh();
      await adapter.write('k', record('1', { g: ['a', 'b'] }));
      await adapter.write('k', record('2', { g: ['b'] }));
      expect(await adapter.keysTagged(['a'], '')).toEqual([]);
      expect(await adapter.keysTagged(['a', 'b'], '')).toEqual(['k']);
      await adapter.write('k', record('3'));
      expect(await adapter.keysTagged(['b'], '')).toEqual([]);
      await adapter.write('j', record('4', { g: ['c'] }));
      await adapter.delete('j');
      expect(await adapter.keysTagged(['c'], '')).toEqual([]);
      expect(await adapter.keysTagged([], '')).toEqual([]);
    });

    it('a key listed once even when it carries several of the tags asked for', async () => {
      const adapter = fresh();
      await adapter.write('k', record('1', { g: ['a', 'b', 'c'] }));
      expect(await adapter.keysTagged(['a', 'b', 'c'], '')).toEqual(['k']);
      expect(await adapter.keysTagged(['a'], 'x')).toEqual([]);
    });

    it('prefixes are plain text: no pattern characters, no partial matches', async () => {
      const adapter = fresh();
      for (const key of ['a.b', 'aXb', 'a*', 'a', 'ab', 'b']) await adapter.write(key, record('1'));
      expect((await adapter.keys('a.', 0)).sort()).toEqual(['a.b']);
      expect((await adapter.keys('a*', 0)).sort()).toEqual(['a*']);
      expect((await adapter.keys('a', 0)).sort()).toEqual(['a', 'a*', 'a.b', 'aXb', 'ab']);
      expect(await adapter.keys('abc', 0)).toEqual([]);
    });

    it('keeps metadata outside the key space: overwrite, delete, and untouched by record deletes', async () => {
      const adapter = fresh();
      await adapter.writeMeta('keys', 'one');
      await adapter.writeMeta('keys', 'two');
      await adapter.writeMeta('salt', 's');
      await adapter.write('keys', record('1'));
      expect(await adapter.readMeta('keys')).toBe('two');
      await adapter.delete('keys');
      await adapter.deleteRange?.('');
      expect(await adapter.readMeta('keys')).toBe('two');
      await adapter.deleteMeta('keys');
      await adapter.deleteMeta('never-there');
      expect(await adapter.readMeta('keys')).toBeUndefined();
      expect(await adapter.readMeta('salt')).toBe('s');
      expect(await adapter.keys('', 0)).toEqual([]);
    });

    it("metadata of one namespace is not another namespace's", async () => {
      const base = uniqueNamespace(name);
      const a = create(base);
      const b = create(`${base}x`);
      await a.writeMeta('keys', 'a');
      expect(await b.readMeta('keys')).toBeUndefined();
      await b.writeMeta('keys', 'b');
      await b.deleteMeta('keys');
      expect(await a.readMeta('keys')).toBe('a');
    });

    it('close() resolves, also twice; a write issued before it lands or rejects, never resolves unwritten', async () => {
      const namespace = uniqueNamespace(name);
      const adapter = create(namespace);
      await adapter.write('a', record('1'));
      const pending = adapter.write('k', record('2')).then(
        () => true,
        () => false,
      );
      await adapter.close();
      await adapter.close();
      const landed = await pending;
      const reopened = create(namespace);
      expect((await reopened.read('k'))?.p).toBe(landed ? '2' : undefined);
      expect((await reopened.read('a'))?.p).toBe('1');
      await reopened.close();
    });

    describe('deleteRange', () => {
      const ranged = (): StorageAdapter & Required<Pick<StorageAdapter, 'deleteRange'>> => {
        const adapter = fresh();
        if (!adapter.deleteRange) throw new Error('no deleteRange');
        return adapter as StorageAdapter & Required<Pick<StorageAdapter, 'deleteRange'>>;
      };
      const supported = create(uniqueNamespace(name)).deleteRange !== undefined;
      // Kinds without a range delete get no range tests, and one test that says so.
      const itRanged = (title: string, test: () => Promise<void>): void => {
        if (supported) it(title, test);
      };
      if (!supported)
        it('has no deleteRange: a clear deletes its keys one by one', () => {
          expect(fresh().deleteRange).toBeUndefined();
        });

      itRanged('deletes exactly the keys that start with the prefix', async () => {
        const adapter = ranged();
        const keys = ['s:a', 's:b', 's:', 's', 's;', 'sx', 't:a', 'S:a'];
        for (const key of keys) await adapter.write(key, record('1', { g: ['g'], e: 5 }));
        await adapter.deleteRange('s:');
        expect((await adapter.allKeys()).sort()).toEqual(['S:a', 's', 's;', 'sx', 't:a']);
        expect((await adapter.keysTagged(['g'], '')).sort()).toEqual([
          'S:a',
          's',
          's;',
          'sx',
          't:a',
        ]);
        expect((await adapter.expiredKeys(5)).sort()).toEqual(['S:a', 's', 's;', 'sx', 't:a']);
      });

      itRanged('an empty prefix deletes every record of this namespace only', async () => {
        const base = uniqueNamespace(name);
        const adapter = create(base);
        const neighbour = create(`${base}:x`);
        await adapter.write('a', record('1'));
        await adapter.write('b', record('2'));
        await neighbour.write('a', record('3'));
        await adapter.deleteRange?.('');
        expect(await adapter.allKeys()).toEqual([]);
        expect(await neighbour.allKeys()).toEqual(['a']);
      });

      itRanged('handles prefixes ending in the highest code units', async () => {
        const adapter = ranged();
        const top = '\uffff';
        const keys = [`a${top}`, `a${top}${top}x`, `a${top}b`, 'b', `b${top}`, top, `${top}${top}`];
        for (const key of keys) await adapter.write(key, record('1'));
        await adapter.deleteRange(`a${top}`);
        expect((await adapter.allKeys()).sort()).toEqual(['b', `b${top}`, top, `${top}${top}`]);
        await adapter.deleteRange(top);
        expect((await adapter.allKeys()).sort()).toEqual(['b', `b${top}`]);
        await adapter.deleteRange('ключ');
        expect((await adapter.allKeys()).sort()).toEqual(['b', `b${top}`]);
      });

      itRanged('is coalesced with writes issued in the same task, in issue order', async () => {
        const adapter = ranged();
        await adapter.write('p:old', record('1'));
        await Promise.all([
          adapter.write('p:a', record('2')),
          adapter.deleteRange('p:'),
          adapter.write('p:b', record('3')),
        ]);
        expect(await adapter.allKeys()).toEqual(['p:b']);
      });
    });

    additionalTests?.(create);
  });
}
