import { afterEach, describe, expect, it } from 'vitest';
import { Strata, type StrataError, type StorageKind } from 'strata-storage';
import { uniqueNamespace } from '../helpers.js';
import { keyringHas } from './keyring.js';

const OLD = 'old password 1';
const NEW = 'new password 2';
const open: Strata[] = [];

/** A Strata collecting its reported errors; closed after each test. */
function strataWith(
  namespace: string,
  password: string | undefined,
  extra: Record<string, unknown> = {},
): { strata: Strata; errors: StrataError[] } {
  const errors: StrataError[] = [];
  const encryption = password === undefined ? { enabled: true } : { enabled: true, password };
  const strata = new Strata({ namespace, encryption, ...extra, onError: (e) => errors.push(e) });
  open.push(strata);
  return { strata, errors };
}

/** Every ciphertext payload (`p` of encrypted records) of a namespace in localStorage. */
function localCiphertexts(namespace: string): string[] {
  const prefix = `${encodeURIComponent(namespace)}:`;
  return Object.keys(localStorage)
    .filter((k) => k.startsWith(prefix))
    .map((k) => localStorage.getItem(k) ?? '')
    .filter((text) => JSON.parse(text.slice(0, text.indexOf('\n')))[3] === 1)
    .map((text) => text.slice(text.indexOf('\n') + 1));
}

/** The keys of a namespace's localStorage records sealed under key generation 2. */
function newGeneration(namespace: string): Set<string> {
  const prefix = `${encodeURIComponent(namespace)}:`;
  const keys = Object.keys(localStorage).filter((k) => {
    const text = localStorage.getItem(k) ?? '';
    return k.startsWith(prefix) && text.slice(text.indexOf('\n') + 1).startsWith('2.');
  });
  return new Set(keys.map((k) => decodeURIComponent(k.slice(prefix.length))));
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

describe('rotateKey', () => {
  it.each(['localStorage', 'sessionStorage', 'indexedDB', 'secure'] as StorageKind[])(
    're-encrypts every item on %s; only the new password opens them afterwards',
    async (kind) => {
      const namespace = uniqueNamespace(`rot-${kind}`);
      const { strata } = strataWith(namespace, OLD, { defaultStorage: kind });
      const values = Array.from({ length: 25 }, (_, i) => ({ i, token: `t-${i}` }));
      for (const [i, value] of values.entries())
        await strata.set(`k${i}`, value, { tags: ['user'], ttl: 60_000 });
      await strata.rotateKey(NEW);
      for (const [i, value] of values.entries()) expect(await strata.get(`k${i}`)).toEqual(value);
      expect(await strata.getTTL('k0')).toBeGreaterThan(50_000);
      await strata.close();

      const stale = strataWith(namespace, OLD, { defaultStorage: kind }).strata;
      await expect(stale.ready()).rejects.toMatchObject({ code: 'WRONG_PASSWORD' });
      const fresh = strataWith(namespace, NEW, { defaultStorage: kind });
      for (const [i, value] of values.entries())
        expect(await fresh.strata.get(`k${i}`)).toEqual(value);
      // Tag hashes survive the rotation: clear by tag still finds every item.
      await fresh.strata.clear({ tags: ['user'] });
      expect(await fresh.strata.keys()).toEqual([]);
      expect(fresh.errors).toEqual([]);
    },
  );

  it('marks each ciphertext with its key generation', async () => {
    const namespace = uniqueNamespace('rot-gen');
    const { strata } = strataWith(namespace, OLD);
    await strata.set('a', 1);
    expect(localCiphertexts(namespace)[0]).not.toMatch(/^\d+\./);
    await strata.rotateKey(NEW);
    expect(localCiphertexts(namespace).every((p) => p.startsWith('2.'))).toBe(true);
    await strata.rotateKey('third password');
    expect(localCiphertexts(namespace).every((p) => p.startsWith('3.'))).toBe(true);
    expect(await strata.get('a')).toBe(1);
  });

  it('moves a device-key namespace to a CryptoKey and deletes the retired device key', async () => {
    const namespace = uniqueNamespace('rot-device');
    const { strata } = strataWith(namespace, undefined, { defaultStorage: 'indexedDB' });
    await strata.set('s', { secret: 'x' });
    const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
      'encrypt',
      'decrypt',
    ]);
    await strata.rotateKey(key);
    expect(await strata.get('s')).toEqual({ secret: 'x' });
    expect(await keyringHas(namespace)).toBe(false);
    await strata.close();
    const reopened = strataWith(namespace, undefined, {
      defaultStorage: 'indexedDB',
      encryption: { enabled: true, key },
    });
    expect(await reopened.strata.get('s')).toEqual({ secret: 'x' });
    // The old configuration (device key) is told clearly, and destroys nothing.
    const device = strataWith(namespace, undefined, { defaultStorage: 'indexedDB' });
    await expect(device.strata.ready()).rejects.toMatchObject({ code: 'KEY_ROTATED' });
    expect(await reopened.strata.get('s')).toEqual({ secret: 'x' });
  });

  it('refuses a bad new key with INVALID_OPTIONS and changes nothing', async () => {
    const namespace = uniqueNamespace('rot-bad');
    const { strata } = strataWith(namespace, OLD);
    await strata.set('a', 1);
    const hmac = await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
    ]);
    for (const bad of ['', 42, null, {}, hmac]) {
      await expect(strata.rotateKey(bad as string)).rejects.toMatchObject({
        code: 'INVALID_OPTIONS',
      });
    }
    expect(await strata.get('a')).toBe(1);
    expect(localCiphertexts(namespace).every((p) => !p.includes('.'))).toBe(true);
  });
});

describe('an interrupted rotation resumes', () => {
  /** Starts a rotation on localStorage that dies after `allowed` re-encrypted writes (the page "closes"). */
  async function interrupted(namespace: string, count: number, allowed: number): Promise<void> {
    const { strata } = strataWith(namespace, OLD);
    for (let i = 0; i < count; i++) await strata.set(`k${i}`, { i });
    const setItem = Storage.prototype.setItem;
    let writes = 0;
    Storage.prototype.setItem = function (this: Storage, key: string, value: string) {
      if (key.startsWith(`${encodeURIComponent(namespace)}:`) && ++writes > allowed)
        throw new DOMException('page closed', 'UnknownError');
      return setItem.call(this, key, value);
    };
    try {
      await expect(strata.rotateKey(NEW)).rejects.toMatchObject({ name: 'StrataError' });
    } finally {
      Storage.prototype.setItem = setItem;
    }
    await strata.close();
    const payloads = localCiphertexts(namespace);
    // Half-way: some records under each generation.
    expect(payloads.filter((p) => p.startsWith('2.')).length).toBe(allowed);
    expect(payloads.filter((p) => !p.startsWith('2.')).length).toBe(count - allowed);
  }

  it('the pending metadata never holds the new key under the old one', async () => {
    const namespace = uniqueNamespace('resume-meta');
    await interrupted(namespace, 4, 2);
    const meta = JSON.parse(localStorage.getItem(`${encodeURIComponent(namespace)}#keys`) ?? '{}');
    expect(meta.next).toMatchObject({ mode: 'password', gen: 2 });
    expect(meta.next.wrappedNew).toBeUndefined();
    expect(meta.next.wrappedOld).toEqual(expect.any(String)); // the old key under the new one: safe
    expect(meta.next.tags).toBeUndefined();
  });

  it('an instance opened with the old password reads the old generation only, refuses encrypted writes with KEY_ROTATED, and rotateKey(new) finishes it', async () => {
    const namespace = uniqueNamespace('resume-old');
    await interrupted(namespace, 12, 5);
    const resumed = strataWith(namespace, OLD);
    await resumed.strata.ready();
    // The 5 items re-encrypted under the new key must not open with the old password.
    const rotated = newGeneration(namespace);
    expect(rotated.size).toBe(5);
    const read = await Promise.all(
      Array.from({ length: 12 }, (_, i) => resumed.strata.get(`k${i}`)),
    );
    expect(read).toEqual(
      Array.from({ length: 12 }, (_, i) => (rotated.has(`k${i}`) ? null : { i })),
    );
    expect(resumed.errors.map((e) => e.code)).toContain('KEY_ROTATED');
    await expect(resumed.strata.set('after', 'a refresh token')).rejects.toMatchObject({
      code: 'KEY_ROTATED',
    });
    await expect(resumed.strata.rotateKey('a guess')).rejects.toMatchObject({
      code: 'KEY_ROTATED',
    });
    // Nothing was finished with the old password alone.
    expect(localCiphertexts(namespace).filter((p) => p.startsWith('2.')).length).toBe(5);
    await resumed.strata.rotateKey(NEW);
    for (let i = 0; i < 12; i++) expect(await resumed.strata.get(`k${i}`)).toEqual({ i });
    expect(localCiphertexts(namespace).every((p) => p.startsWith('2.'))).toBe(true);
    await resumed.strata.close();
    const after = strataWith(namespace, NEW);
    for (let i = 0; i < 12; i++) expect(await after.strata.get(`k${i}`)).toEqual({ i });
    expect(after.errors).toEqual([]);
    await expect(strataWith(namespace, OLD).strata.ready()).rejects.toMatchObject({
      code: 'WRONG_PASSWORD',
    });
  });

  it('an instance opened with the new password reads everything and finishes it', async () => {
    const namespace = uniqueNamespace('resume-new');
    await interrupted(namespace, 12, 7);
    const resumed = strataWith(namespace, NEW);
    for (let i = 0; i < 12; i++) expect(await resumed.strata.get(`k${i}`)).toEqual({ i });
    expect(localCiphertexts(namespace).every((p) => p.startsWith('2.'))).toBe(true);
    expect(resumed.errors).toEqual([]);
  });

  it('a pending rotation an earlier version wrote (the new key under the old) is finished by the old password, and the leak leaves the metadata', async () => {
    const namespace = uniqueNamespace('resume-legacy');
    await interrupted(namespace, 6, 2);
    const metaKey = `${encodeURIComponent(namespace)}#keys`;
    const meta = JSON.parse(localStorage.getItem(metaKey) ?? '{}');
    // What the earlier version stored: the new key's bytes sealed under the old key.
    const derive = async (password: string, salt: string, iterations: number) => {
      const material = await crypto.subtle.importKey(
        'raw',
        new TextEncoder().encode(password),
        'PBKDF2',
        false,
        ['deriveKey'],
      );
      return crypto.subtle.deriveKey(
        {
          name: 'PBKDF2',
          hash: 'SHA-256',
          salt: Uint8Array.from(atob(salt), (c) => c.charCodeAt(0)),
          iterations,
        },
        material,
        { name: 'AES-GCM', length: 256 },
        true,
        ['encrypt', 'decrypt'],
      );
    };
    const oldKey = await derive(OLD, meta.salt, meta.iterations);
    const newKey = await derive(NEW, meta.next.salt, meta.next.iterations);
    const newRaw = new Uint8Array(await crypto.subtle.exportKey('raw', newKey));
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const sealed = new Uint8Array(
      await crypto.subtle.encrypt(
        {
          name: 'AES-GCM',
          iv,
          additionalData: new TextEncoder().encode(`strata/1\u0000${namespace}\u0000#next-key`),
        },
        oldKey,
        new TextEncoder().encode(btoa(String.fromCharCode(...newRaw))),
      ),
    );
    meta.next.wrappedNew = btoa(String.fromCharCode(...iv, ...sealed));
    localStorage.setItem(metaKey, JSON.stringify(meta));
    const resumed = strataWith(namespace, OLD);
    for (let i = 0; i < 6; i++) expect(await resumed.strata.get(`k${i}`)).toEqual({ i });
    expect(localCiphertexts(namespace).every((p) => p.startsWith('2.'))).toBe(true);
    const committed = JSON.parse(localStorage.getItem(metaKey) ?? '{}');
    expect(committed.next).toBeUndefined();
    expect(JSON.stringify(committed)).not.toContain(meta.next.wrappedNew);
    expect(resumed.errors).toEqual([]);
  });

  it('rotating again while one is pending finishes the pending one first, then applies the new key on top', async () => {
    const namespace = uniqueNamespace('resume-third');
    await interrupted(namespace, 6, 2);
    const other = strataWith(namespace, NEW);
    await other.strata.rotateKey('third');
    for (let i = 0; i < 6; i++) expect(await other.strata.get(`k${i}`)).toEqual({ i });
    expect(localCiphertexts(namespace).every((p) => p.startsWith('3.'))).toBe(true);
  });
});

describe('other tabs after a rotation', () => {
  it('a tab still on the old key reads newer items as null with KEY_ROTATED, refuses encrypted writes, and adopts the key with rotateKey', async () => {
    const namespace = uniqueNamespace('rot-tabs');
    const a = strataWith(namespace, OLD, { sync: { enabled: true } });
    const b = strataWith(namespace, OLD, { sync: { enabled: true } });
    await a.strata.set('shared', 'v1');
    expect(await b.strata.get('shared')).toBe('v1');
    await a.strata.rotateKey(NEW);
    await a.strata.set('shared', 'v2');
    await expect
      .poll(() => b.strata.get('shared').then(() => b.errors.map((e) => e.code)))
      .toContain('KEY_ROTATED');
    expect(await b.strata.get('shared')).toBeNull();
    await expect(b.strata.set('mine', 'x')).rejects.toMatchObject({ code: 'KEY_ROTATED' });
    await expect(b.strata.rotateKey('a guess')).rejects.toMatchObject({ code: 'KEY_ROTATED' });
    await b.strata.rotateKey(NEW);
    expect(await b.strata.get('shared')).toBe('v2');
    await b.strata.set('mine', 'x');
    expect(await a.strata.get('mine')).toBe('x');
  });

  it('a tab that reads nothing and hears no change is still told of the rotation (KEY_ROTATED, once)', async () => {
    const namespace = uniqueNamespace('rot-told');
    const a = strataWith(namespace, OLD);
    const b = strataWith(namespace, OLD); // no sync: only the key channel reaches it
    await a.strata.set('shared', 'v1');
    expect(await b.strata.get('shared')).toBe('v1');
    await a.strata.rotateKey(NEW);
    await expect.poll(() => b.errors.map((e) => e.code)).toContain('KEY_ROTATED');
    expect(b.errors.map((e) => e.code)).toEqual(['KEY_ROTATED']);
    expect(b.errors[0]?.message).toMatch(/generation 2/);
    await expect(b.strata.set('mine', 'x')).rejects.toMatchObject({ code: 'KEY_ROTATED' });
  });

  it('a CryptoKey rotation keeps per-tab (sessionStorage) items readable under the new key', async () => {
    const namespace = uniqueNamespace('rot-tabs-key');
    const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, [
      'encrypt',
      'decrypt',
    ]);
    const next = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
      'encrypt',
      'decrypt',
    ]);
    const options = {
      defaultStorage: 'sessionStorage',
      sync: { enabled: true },
      encryption: { enabled: true, key },
    };
    const a = strataWith(namespace, undefined, options);
    await a.strata.set('cart', ['apple']);
    await a.strata.rotateKey(next);
    expect(await a.strata.get('cart')).toEqual(['apple']);
    const b = strataWith(namespace, undefined, {
      ...options,
      encryption: { enabled: true, key: next },
    });
    expect(await b.strata.get('cart')).toEqual(['apple']);
  });
});
