import { describe, expect, it, vi } from 'vitest';
import { Strata, type StorageKind } from 'strata-storage';
import { makeStrata, rawDump, uniqueNamespace } from './helpers.js';

const SECRET = 'refresh-token-SECRET-4f9a';
const TAG = 'tag-SECRET-7c2e';

describe.each(['localStorage', 'sessionStorage', 'indexedDB', 'secure'] as StorageKind[])(
  'encryption at rest on %s',
  (kind) => {
    it('leaves no byte of the value and no tag readable in the browser storage', async () => {
      const { strata, namespace } = makeStrata({
        defaultStorage: kind,
        encryption: { enabled: true },
      });
      await strata.set('token', { refresh: SECRET }, { tags: [TAG] });
      await strata.set('plain-string', SECRET, { tags: [TAG] });
      const raw = await rawDump(namespace);
      expect(raw.length).toBeGreaterThan(0);
      expect(raw).not.toContain(SECRET);
      expect(raw).not.toContain('SECRET');
      expect(raw).not.toContain(TAG);
      expect(await strata.get('token')).toEqual({ refresh: SECRET });
      await strata.clear({ tags: [TAG] });
      expect(await strata.keys()).toEqual([]);
      await strata.close();
    });
  },
);

describe('encryption keys', () => {
  it('derives the key from a password once and reopens with the same password', async () => {
    const namespace = uniqueNamespace('pw');
    const first = new Strata({
      namespace,
      encryption: { enabled: true, password: 'correct horse' },
    });
    await first.set('k', { n: 1 });
    await first.close();
    const second = new Strata({
      namespace,
      encryption: { enabled: true, password: 'correct horse' },
    });
    expect(await second.get('k')).toEqual({ n: 1 });
    await second.close();
  });

  it('rejects a wrong password at ready() with WRONG_PASSWORD, and stored data survives', async () => {
    const namespace = uniqueNamespace('pw-wrong');
    const first = new Strata({ namespace, encryption: { enabled: true, password: 'right' } });
    await first.set('k', 'kept');
    await first.close();
    const wrong = new Strata({ namespace, encryption: { enabled: true, password: 'wrong' } });
    await expect(wrong.ready()).rejects.toMatchObject({
      name: 'StrataError',
      code: 'WRONG_PASSWORD',
    });
    await expect(wrong.ready()).rejects.not.toHaveProperty(
      'message',
      expect.stringContaining('wrong'),
    );
    const again = new Strata({ namespace, encryption: { enabled: true, password: 'right' } });
    expect(await again.get('k')).toBe('kept');
    await again.close();
  });

  it('accepts a caller CryptoKey (128-bit) and rejects a different key with WRONG_KEY', async () => {
    const namespace = uniqueNamespace('ck');
    const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 128 }, false, [
      'encrypt',
      'decrypt',
    ]);
    const a = new Strata({ namespace, encryption: { enabled: true, key } });
    await a.set('k', 'v');
    expect(await a.get('k')).toBe('v');
    await a.close();
    const other = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 128 }, false, [
      'encrypt',
      'decrypt',
    ]);
    const b = new Strata({ namespace, encryption: { enabled: true, key: other } });
    await expect(b.ready()).rejects.toMatchObject({ code: 'WRONG_KEY' });
  });

  it('uses a non-extractable device key kept in IndexedDB when no password or key is given', async () => {
    const namespace = uniqueNamespace('device');
    const a = new Strata({ namespace, encryption: { enabled: true } });
    await a.set('k', 'v');
    await a.close();
    const b = new Strata({ namespace, encryption: { enabled: true } });
    expect(await b.get('k')).toBe('v');
    await b.close();
    const keyring = await new Promise<IDBDatabase>((resolve) => {
      const request = indexedDB.open('strata-keyring');
      request.onsuccess = () => resolve(request.result);
    });
    const stored = await new Promise<CryptoKey>((resolve) => {
      const request = keyring.transaction('keys').objectStore('keys').get(namespace);
      request.onsuccess = () => resolve(request.result as CryptoKey);
    });
    keyring.close();
    expect(stored).toBeInstanceOf(CryptoKey);
    expect(stored.extractable).toBe(false);
  });

  it('per-item encrypt: true seals in a clear namespace; encrypt: false is refused in an encrypted one', async () => {
    const { strata, namespace } = makeStrata({
      defaultStorage: 'localStorage',
      encryption: { enabled: true },
    });
    await expect(strata.set('open', 'visible-value', { encrypt: false })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    });
    expect(await strata.has('open')).toBe(false);
    await strata.set('sealed', 'hidden-value');
    const { strata: plain, namespace: plainNs } = makeStrata({ defaultStorage: 'localStorage' });
    await plain.set('sealed', 'also-hidden', { encrypt: true, tags: ['t-hidden'] });
    const raw = (await rawDump(namespace)) + (await rawDump(plainNs));
    expect(raw).not.toContain('visible-value');
    expect(raw).not.toContain('hidden-value');
    expect(raw).not.toContain('also-hidden');
    expect(raw).not.toContain('t-hidden');
    expect(await plain.get('sealed')).toBe('also-hidden');
    await plain.clear({ tags: ['t-hidden'] });
    expect(await plain.has('sealed')).toBe(false);
    await Promise.all([strata.close(), plain.close()]);
  });

  it('writes a fresh IV each time: the same value encrypts differently', async () => {
    const { strata, namespace } = makeStrata({
      defaultStorage: 'localStorage',
      encryption: { enabled: true },
    });
    await strata.set('a', 'same');
    const first = localStorage.getItem(`${encodeURIComponent(namespace)}:a`);
    await strata.set('a', 'same');
    const second = localStorage.getItem(`${encodeURIComponent(namespace)}:a`);
    expect(first).not.toBe(second);
    await strata.close();
  });
});

describe('tampered or misplaced ciphertext', () => {
  it('a flipped byte reads as null, is reported, and other keys keep working', async () => {
    const { strata, namespace, errors } = makeStrata({
      defaultStorage: 'localStorage',
      encryption: { enabled: true },
    });
    await strata.set('victim', { secret: SECRET });
    await strata.set('bystander', 'fine');
    const slot = `${encodeURIComponent(namespace)}:victim`;
    const text = localStorage.getItem(slot) ?? '';
    const newline = text.indexOf('\n');
    const payload = text.slice(newline + 1);
    const at = payload.length - 5;
    const flipped =
      payload.slice(0, at) + (payload[at] === 'A' ? 'B' : 'A') + payload.slice(at + 1);
    localStorage.setItem(slot, text.slice(0, newline + 1) + flipped);
    expect(await strata.get('victim')).toBeNull();
    expect(errors.map((e) => e.code)).toContain('DECRYPT_FAILED');
    expect(errors.every((e) => !e.message.includes(SECRET))).toBe(true);
    expect(await strata.get('bystander')).toBe('fine');
    expect(localStorage.getItem(slot)).not.toBeNull(); // left in place, not silently deleted
    await strata.close();
  });

  it('a ciphertext copied to another key does not decrypt there (bound by additional data)', async () => {
    const { strata, namespace, errors } = makeStrata({
      defaultStorage: 'localStorage',
      encryption: { enabled: true },
    });
    await strata.set('role', 'user');
    await strata.set('admin-role', 'admin');
    const ns = encodeURIComponent(namespace);
    localStorage.setItem(`${ns}:role`, localStorage.getItem(`${ns}:admin-role`) ?? '');
    expect(await strata.get('role')).toBeNull();
    expect(errors.at(-1)?.code).toBe('DECRYPT_FAILED');
    await strata.close();
  });

  it('a ciphertext copied into another namespace with the same password does not decrypt', async () => {
    const a = makeStrata({
      defaultStorage: 'localStorage',
      encryption: { enabled: true, password: 'pw' },
    });
    const b = makeStrata({
      defaultStorage: 'localStorage',
      encryption: { enabled: true, password: 'pw' },
    });
    await a.strata.set('k', 'from-a');
    await b.strata.ready();
    localStorage.setItem(
      `${encodeURIComponent(b.namespace)}:k`,
      localStorage.getItem(`${encodeURIComponent(a.namespace)}:k`) ?? '',
    );
    expect(await b.strata.get('k')).toBeNull();
    expect(b.errors.at(-1)?.code).toBe('DECRYPT_FAILED');
    await Promise.all([a.strata.close(), b.strata.close()]);
  });
});

describe('sealed items read for their metadata', () => {
  it('has, getTTL and info decrypt once between them; extendTTL keeps the sealed tags', async () => {
    const { strata, namespace } = makeStrata({
      encryption: { enabled: true },
      sync: { enabled: true },
    });
    await strata.set('token', SECRET, { ttl: 60_000, tags: [TAG] });
    await strata.close();
    const reader = makeStrata({
      namespace,
      encryption: { enabled: true },
      sync: { enabled: true },
    });
    await reader.strata.ready();
    const decrypt = vi.spyOn(crypto.subtle, 'decrypt');
    try {
      expect(await reader.strata.has('token')).toBe(true);
      decrypt.mockClear(); // the first read opens the record (and may load the key)
      expect(await reader.strata.getTTL('token')).toBeGreaterThan(0);
      expect(await reader.strata.info('token')).toMatchObject({ encrypted: true, ttl: 60_000 });
      expect(await reader.strata.has('token')).toBe(true);
      expect(decrypt).not.toHaveBeenCalled();
    } finally {
      decrypt.mockRestore();
    }
    expect(await reader.strata.extendTTL('token', 120_000)).toBe(true);
    expect(await reader.strata.getTTL('token')).toBeGreaterThan(60_000);
    await reader.strata.clear({ tags: [TAG] });
    expect(await reader.strata.get('token')).toBeNull();
    expect(reader.errors).toEqual([]);
    await reader.strata.close();
  });
});

describe('close() right after a change in an encrypted namespace', () => {
  it('still tells the other tabs, and reports nothing', async () => {
    const options = { encryption: { enabled: true }, sync: { enabled: true } } as const;
    const writer = makeStrata(options);
    const listener = makeStrata({ ...options, namespace: writer.namespace });
    await Promise.all([writer.strata.ready(), listener.strata.ready()]);
    const heard = new Promise((resolve) => listener.strata.subscribe('k', resolve));
    await writer.strata.set('k', 'v');
    await writer.strata.close(); // the sealed broadcast may still be in flight
    expect(await heard).toMatchObject({ key: 'k', newValue: 'v', source: 'remote' });
    expect(writer.errors).toEqual([]);
    await listener.strata.close();
  });
});
