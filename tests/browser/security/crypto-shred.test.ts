import { afterEach, describe, expect, it } from 'vitest';
import { Strata, type StrataError, type StrataOptions } from 'strata-storage';
import { uniqueNamespace } from '../helpers.js';
import { keyringHas, snapshotLocal } from './keyring.js';

const open: Strata[] = [];
function strataWith(options: StrataOptions): { strata: Strata; errors: StrataError[] } {
  const errors: StrataError[] = [];
  const strata = new Strata({ ...options, onError: (e) => errors.push(e) });
  open.push(strata);
  return { strata, errors };
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

describe('destroyKey (crypto-shredding)', () => {
  it.each([
    ['device key', { enabled: true }],
    ['password', { enabled: true, password: 'shared device pw' }],
  ] as const)(
    'with a %s, ciphertext copied before the shred can never be decrypted again',
    async (_, encryption) => {
      const namespace = uniqueNamespace('shred');
      const { strata } = strataWith({ namespace, encryption });
      await strata.set('refresh', 'rt-value', { tags: ['auth'] });
      await strata.set('profile', { name: 'Ada' });
      const stolen = snapshotLocal(namespace); // e.g. a copy of the profile taken before logout
      expect(stolen.size).toBe(2);
      await strata.destroyKey();
      expect(await strata.keys()).toEqual([]);
      expect(localStorage.getItem(`${encodeURIComponent(namespace)}#keys`)).toBeNull();
      expect(await keyringHas(namespace)).toBe(false);
      await strata.close();

      // Put the stolen ciphertext back and open the namespace as the same user would.
      for (const [key, value] of stolen) localStorage.setItem(key, value);
      const again = strataWith({ namespace, encryption });
      await again.strata.ready();
      expect(await again.strata.get('refresh')).toBeNull();
      expect(await again.strata.get('profile')).toBeNull();
      const codes = again.errors.map((e) => e.code);
      expect(codes).toContain('KEY_LOST');
      expect(codes).toContain('DECRYPT_FAILED');
      // New data under the new key works, and the leftovers are still reported, never overwritten silently.
      await again.strata.set('fresh', 1);
      expect(await again.strata.get('fresh')).toBe(1);
      for (const [key, value] of stolen) expect(localStorage.getItem(key)).toBe(value);
    },
  );

  it('removes the items of every layer and tells another instance to drop the key it held', async () => {
    const namespace = uniqueNamespace('shred-tabs');
    const options: StrataOptions = {
      namespace,
      defaultStorage: 'sessionStorage',
      fallbackStorage: 'indexedDB',
      encryption: { enabled: true },
      sync: { enabled: true },
    };
    const a = strataWith(options);
    const b = strataWith(options);
    await a.strata.set('x', 'secret-ish');
    expect(await b.strata.get('x')).toBe('secret-ish');
    await a.strata.destroyKey();
    await expect.poll(() => b.strata.get('x')).toBeNull();
    // B sets up a fresh key instead of writing under the destroyed one: a new instance reads it.
    await b.strata.set('after', 'ok');
    await b.strata.close();
    const c = strataWith(options);
    expect(await c.strata.get('after')).toBe('ok');
    expect(c.errors.map((e) => e.code)).not.toContain('DECRYPT_FAILED');
  });
});
