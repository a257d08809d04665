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
/** Every localStorage entry of a namespace, the key metadata included. */
function copyAll(namespace: string): Map<string, string> {
  const prefix = encodeURIComponent(namespace);
  const out = new Map<string, string>();
  for (const key of Object.keys(localStorage))
    if (key.startsWith(`${prefix}:`) || key.startsWith(`${prefix}#`))
      out.set(key, localStorage.getItem(key) ?? '');
  return out;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

describe('destroyKey (crypto-shredding)', () => {
  it.each([
    ['device key', { enabled: true }],
    ['password', { enabled: true, password: 'shared device pw' }],
  ] as const)(
    'with a %s, records copied before the shred (without the key metadata) can never be decrypted again',
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

  it('with a password, a copy that also holds the key metadata (the salt) opens again with the password: what shredding cannot undo', async () => {
    const namespace = uniqueNamespace('shred-salt');
    const encryption = { enabled: true, password: 'shared device pw' };
    const { strata } = strataWith({ namespace, encryption });
    await strata.set('refresh', 'rt-value');
    const stolen = copyAll(namespace); // records and the salt: a copy of the whole storage area
    await strata.destroyKey();
    await strata.close();
    for (const [key, value] of stolen) localStorage.setItem(key, value);
    // A password-derived key is a function of the password and the salt: both survive in the copy.
    const again = strataWith({ namespace, encryption });
    expect(await again.strata.get('refresh')).toBe('rt-value');
  });

  it('with a wrapping key, destroyKey() plus the server forgetting the wrapping key leaves a full copy taken before undecryptable', async () => {
    const namespace = uniqueNamespace('shred-wrapped');
    const serverBytes = crypto.getRandomValues(new Uint8Array(32));
    const wrapping = () =>
      crypto.subtle.importKey('raw', serverBytes, 'AES-KW', false, ['wrapKey', 'unwrapKey']);
    const { strata } = strataWith({
      namespace,
      encryption: { enabled: true, wrappingKey: wrapping },
    });
    await strata.set('refresh', 'rt-value', { tags: ['auth'] });
    const stolen = copyAll(namespace); // records and the wrapped data key
    expect([...stolen.keys()].some((k) => k.endsWith('#keys'))).toBe(true);
    await strata.destroyKey();
    await strata.close();
    for (const [key, value] of stolen) localStorage.setItem(key, value);
    // While the server still has the wrapping key, the copy opens: forgetting it is part of the shred.
    const before = strataWith({ namespace, encryption: { enabled: true, wrappingKey: wrapping } });
    expect(await before.strata.get('refresh')).toBe('rt-value');
    await before.strata.close();
    serverBytes.fill(0); // the server forgets it; after sign-in it hands out another key
    const next = crypto.getRandomValues(new Uint8Array(32));
    const after = strataWith({
      namespace,
      encryption: {
        enabled: true,
        wrappingKey: () =>
          crypto.subtle.importKey('raw', next, 'AES-KW', false, ['wrapKey', 'unwrapKey']),
      },
    });
    await expect(after.strata.ready()).rejects.toMatchObject({ code: 'WRONG_KEY' });
    // Nor does the copy open with anything an attacker holds: no device key, no salt.
    expect(await keyringHas(namespace)).toBe(false);
    const meta = JSON.parse(stolen.get(`${encodeURIComponent(namespace)}#keys`) ?? '{}');
    expect(meta).toMatchObject({ mode: 'wrapped' });
    expect(meta.salt).toBeUndefined();
    for (const [key, value] of stolen) expect(localStorage.getItem(key)).toBe(value); // nothing overwritten
  });

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
