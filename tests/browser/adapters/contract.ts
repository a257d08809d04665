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

    additionalTests?.(create);
  });
}
