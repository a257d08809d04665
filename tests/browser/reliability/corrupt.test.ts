import { describe, expect, it } from 'vitest';
import { Strata, type StrataError } from 'strata-storage';
import { makeStrata, uniqueNamespace } from '../helpers.js';

const physical = (namespace: string, key: string) => `${encodeURIComponent(namespace)}:${key}`;

function withErrors(options: ConstructorParameters<typeof Strata>[0]): {
  strata: Strata;
  errors: StrataError[];
} {
  const errors: StrataError[] = [];
  return { strata: new Strata({ ...options, onError: (e) => errors.push(e) }), errors };
}

async function idbPut(namespace: string, key: string, value: unknown): Promise<void> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(`strata:${encodeURIComponent(namespace)}`);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  await new Promise<void>((resolve, reject) => {
    const tx = db.transaction('records', 'readwrite');
    tx.objectStore('records').put(value, key);
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
  db.close();
}

describe('corrupt data reads as null, is reported, and is never silently overwritten', () => {
  it('truncated ciphertext: DECRYPT_FAILED for that key, other keys fine, the record left as it was', async () => {
    const { strata, namespace } = makeStrata({ encryption: { enabled: true, password: 'pw' } });
    await strata.set('a', 'value a');
    await strata.set('b', 'value b');
    const text = localStorage.getItem(physical(namespace, 'a')) ?? '';
    const truncated = text.slice(0, text.length - 10);
    localStorage.setItem(physical(namespace, 'a'), truncated);
    await strata.close();
    const again = withErrors({ namespace, encryption: { enabled: true, password: 'pw' } });
    expect(await again.strata.get('a')).toBeNull();
    expect(await again.strata.get('b')).toBe('value b');
    expect(again.errors.map((e) => [e.code, e.key])).toEqual([['DECRYPT_FAILED', 'a']]);
    await again.strata.sweep();
    expect(localStorage.getItem(physical(namespace, 'a'))).toBe(truncated);
    await again.strata.close();
  });

  it('a ciphertext naming an unknown key generation reads as null with KEY_ROTATED, and writes go on', async () => {
    const { strata, namespace } = makeStrata({ encryption: { enabled: true } });
    await strata.set('a', 1);
    const text = localStorage.getItem(physical(namespace, 'a')) ?? '';
    const newline = text.indexOf('\n');
    localStorage.setItem(
      physical(namespace, 'a'),
      `${text.slice(0, newline + 1)}9.${text.slice(newline + 1)}`,
    );
    await strata.close();
    const again = withErrors({ namespace, encryption: { enabled: true } });
    expect(await again.strata.get('a')).toBeNull();
    expect(again.errors.map((e) => e.code)).toEqual(['KEY_ROTATED']);
    // The key metadata does not confirm a rotation: one forged record cannot block encrypted writes.
    await again.strata.set('b', 2);
    expect(await again.strata.get('b')).toBe(2);
    await again.strata.close();
  });

  it('an IndexedDB value that is not a record envelope: CORRUPT_RECORD, other keys, keys() and clear() keep working', async () => {
    const { strata, errors, namespace } = makeStrata({ defaultStorage: 'indexedDB' });
    await strata.set('good', { ok: true });
    await idbPut(namespace, 'bad', { hello: 'not a record' });
    await idbPut(namespace, 'worse', 'just a string');
    expect(await strata.get('bad')).toBeNull();
    expect(await strata.get('worse')).toBeNull();
    expect(await strata.get('good')).toEqual({ ok: true });
    expect(errors.map((e) => [e.code, e.key])).toEqual([
      ['CORRUPT_RECORD', 'bad'],
      ['CORRUPT_RECORD', 'worse'],
    ]);
    await strata.clear();
    expect(await strata.keys()).toEqual([]);
    await strata.close();
  });

  it('namespace salt and verifier deleted: KEY_LOST reported, old items read as null and stay untouched', async () => {
    const namespace = uniqueNamespace('salt-gone');
    const first = new Strata({ namespace, encryption: { enabled: true, password: 'pw' } });
    await first.set('a', 'secret a');
    await first.close();
    const record = localStorage.getItem(physical(namespace, 'a'));
    localStorage.removeItem(`${encodeURIComponent(namespace)}#keys`);
    const again = withErrors({ namespace, encryption: { enabled: true, password: 'pw' } });
    await again.strata.ready();
    expect(again.errors.map((e) => e.code)).toEqual(['KEY_LOST']);
    expect(await again.strata.get('a')).toBeNull();
    expect(localStorage.getItem(physical(namespace, 'a'))).toBe(record);
    await again.strata.set('b', 'new');
    expect(await again.strata.get('b')).toBe('new');
    await again.strata.close();
  });

  it('a tampered verifier looks like a wrong password: WRONG_PASSWORD, nothing rewritten', async () => {
    const namespace = uniqueNamespace('verifier');
    const first = new Strata({ namespace, encryption: { enabled: true, password: 'pw' } });
    await first.set('a', 1);
    await first.close();
    const metaKey = `${encodeURIComponent(namespace)}#keys`;
    const meta = JSON.parse(localStorage.getItem(metaKey) ?? '{}') as { verifier: string };
    meta.verifier = `${meta.verifier.slice(0, -4)}AAA=`;
    localStorage.setItem(metaKey, JSON.stringify(meta));
    const record = localStorage.getItem(physical(namespace, 'a'));
    const again = new Strata({ namespace, encryption: { enabled: true, password: 'pw' } });
    await expect(again.ready()).rejects.toMatchObject({ code: 'WRONG_PASSWORD' });
    expect(JSON.parse(localStorage.getItem(metaKey) ?? '{}')).toEqual(meta);
    expect(localStorage.getItem(physical(namespace, 'a'))).toBe(record);
  });

  it('a record of a future format version in IndexedDB reads as null and survives writes to other keys and sweeps', async () => {
    const { strata, errors, namespace } = makeStrata({ defaultStorage: 'indexedDB' });
    await strata.ready();
    const future = { v: 99, p: '"from the future"', u: 1, w: 'x', e: 1 };
    await idbPut(namespace, 'f', future);
    expect(await strata.get('f')).toBeNull();
    expect(errors.map((e) => e.code)).toEqual(['UNSUPPORTED_VERSION']);
    await strata.set('other', 1);
    expect(await strata.sweep()).toBe(1);
    expect(await strata.get('f')).toBeNull();
    await strata.close();
  });
});
