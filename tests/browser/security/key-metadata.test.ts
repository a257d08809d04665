import { afterEach, describe, expect, it } from 'vitest';
import { Strata, type StrataError, type StrataOptions } from 'strata-storage';
import { uniqueNamespace } from '../helpers.js';
import { domError, patch } from '../reliability/patch.js';

// The key metadata (salt, verifier) is what turns a password back into the key. These tests
// check it is never replaced by an instance holding another kind of secret, never only
// remembered in memory, and never kept per tab where it could outlive a destroyed key.

const PASSWORD = 'key-metadata-password-1';
const open: Strata[] = [];
let restore: Array<() => void> = [];
afterEach(async () => {
  restore.reverse().forEach((undo) => undo());
  restore = [];
  await Promise.all(open.splice(0).map((s) => s.close().catch(() => undefined)));
});

function strataOn(
  namespace: string,
  options: StrataOptions = {},
): { strata: Strata; errors: StrataError[] } {
  const errors: StrataError[] = [];
  const strata = new Strata({
    namespace,
    defaultStorage: 'localStorage',
    ...options,
    onError: (e) => errors.push(e),
  });
  open.push(strata);
  return { strata, errors };
}

const withPassword = (password = PASSWORD): StrataOptions => ({
  encryption: { enabled: true, password },
});

describe('key metadata', () => {
  it("an instance without the password reads encrypted items as null and never replaces the password's metadata", async () => {
    const namespace = uniqueNamespace('meta-kind');
    const { strata: owner } = strataOn(namespace, withPassword());
    await owner.set('profile', { email: 'ada@example.com' }, { tags: ['user'] });
    await owner.close();
    // No encryption configured: its key would be this device's key.
    const { strata: plain, errors } = strataOn(namespace);
    expect(await plain.get('profile')).toBeNull();
    expect(errors.map((e) => e.code)).toEqual(['WRONG_PASSWORD']);
    await expect(plain.clear({ tags: ['user'] })).rejects.toMatchObject({ code: 'WRONG_PASSWORD' });
    const { strata: reopened, errors: reopenErrors } = strataOn(namespace, withPassword());
    expect(await reopened.get('profile')).toEqual({ email: 'ada@example.com' });
    expect(reopenErrors).toEqual([]);
  });

  it('a rotation whose metadata localStorage refuses fails before re-encrypting: the old password still opens everything', async () => {
    const namespace = uniqueNamespace('meta-full');
    const { strata } = strataOn(namespace, withPassword());
    await strata.set('a', 1);
    await strata.set('b', 'two');
    const setItem = Storage.prototype.setItem;
    restore.push(
      patch(Storage.prototype, 'setItem', function (this: Storage, key: string, value: string) {
        if (key.endsWith('#keys')) throw domError('QuotaExceededError');
        return setItem.call(this, key, value);
      }),
    );
    await expect(strata.rotateKey('key-metadata-password-2')).rejects.toMatchObject({
      code: 'QUOTA_EXCEEDED',
    });
    restore.pop()?.();
    await strata.close();
    const { strata: reopened, errors } = strataOn(namespace, withPassword());
    expect([await reopened.get('a'), await reopened.get('b')]).toEqual([1, 'two']);
    expect(errors).toEqual([]);
    const { strata: withNew } = strataOn(namespace, withPassword('key-metadata-password-2'));
    await expect(withNew.ready()).rejects.toMatchObject({ code: 'WRONG_PASSWORD' });
  });

  it('after another tab destroys the key, this tab sets up a new key, never the destroyed one again', async () => {
    const namespace = uniqueNamespace('meta-destroyed');
    // Items in memory (per tab); the key metadata in localStorage, shared by every tab.
    const options: StrataOptions = {
      ...withPassword(),
      defaultStorage: 'memory',
      sync: { enabled: true },
    };
    const saltInStorage = () =>
      (
        JSON.parse(localStorage.getItem(`${encodeURIComponent(namespace)}#keys`) ?? '{}') as {
          salt?: string;
        }
      ).salt;
    const { strata: b } = strataOn(namespace, options); // created the key
    await b.set('x', 'before');
    const destroyedSalt = saltInStorage();
    expect(destroyedSalt).toBeDefined();
    const { strata: a } = strataOn(namespace, options);
    expect(await a.get('x')).toBe('before');
    await a.destroyKey();
    // Once b hears of it, b's next write sets up a new key (new salt, stored for every tab).
    await expect
      .poll(
        async () => {
          await b.set('w', 'from b');
          const salt = saltInStorage();
          return salt !== undefined && salt !== destroyedSalt;
        },
        { timeout: 5_000 },
      )
      .toBe(true);
    expect(await a.get('w')).toBe('from b'); // and a opens b's new key: one key for every tab
  });

  it('a device-key → password rotation left pending is finished by an instance opened with the new password', async () => {
    const namespace = uniqueNamespace('meta-device-pending');
    const { strata } = strataOn(namespace, { encryption: { enabled: true } }); // this device's key
    await strata.set('a', 1);
    await strata.set('b', 2);
    const setItem = Storage.prototype.setItem;
    restore.push(
      patch(Storage.prototype, 'setItem', function (this: Storage, key: string, value: string) {
        if (key === `${encodeURIComponent(namespace)}:b`) throw domError('UnknownError'); // b cannot be re-encrypted now
        return setItem.call(this, key, value);
      }),
    );
    await expect(strata.rotateKey(PASSWORD)).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    restore.pop()?.();
    await strata.close();
    // The app now opens with the password only: b, still under the device key, must not be lost.
    const { strata: reopened, errors } = strataOn(namespace, withPassword());
    expect([await reopened.get('a'), await reopened.get('b')]).toEqual([1, 2]);
    expect(errors).toEqual([]);
    await reopened.close();
    const { strata: again } = strataOn(namespace, withPassword());
    expect([await again.get('a'), await again.get('b')]).toEqual([1, 2]);
  });

  it('metadata an earlier version left only in sessionStorage is still found, and copied to localStorage', async () => {
    const namespace = uniqueNamespace('meta-legacy');
    const chain: StrataOptions = {
      ...withPassword(),
      defaultStorage: 'sessionStorage',
      fallbackStorage: 'localStorage',
    };
    const { strata: first } = strataOn(namespace, chain);
    await first.set('note', 'kept');
    await first.close();
    const metaKey = `${encodeURIComponent(namespace)}#keys`;
    // As an earlier version left it when localStorage was unavailable: the copy only per tab.
    sessionStorage.setItem(metaKey, localStorage.getItem(metaKey) as string);
    localStorage.removeItem(metaKey);
    const { strata: upgraded, errors } = strataOn(namespace, chain);
    expect(await upgraded.get('note')).toBe('kept');
    expect(errors).toEqual([]);
    expect(localStorage.getItem(metaKey)).toBe(sessionStorage.getItem(metaKey));
  });

  it('items kept in memory stay encrypted and usable when localStorage refuses the key metadata', async () => {
    const namespace = uniqueNamespace('meta-memory');
    const setItem = Storage.prototype.setItem;
    restore.push(
      patch(Storage.prototype, 'setItem', function (this: Storage, key: string, value: string) {
        if (key.endsWith('#keys')) throw domError('QuotaExceededError');
        return setItem.call(this, key, value);
      }),
    );
    const { strata } = strataOn(namespace, { ...withPassword(), defaultStorage: 'memory' });
    await strata.set('draft', 'in memory only');
    expect(await strata.get('draft')).toBe('in memory only');
    expect(await strata.info('draft')).toMatchObject({ encrypted: true, layer: 'memory' });
  });
});
