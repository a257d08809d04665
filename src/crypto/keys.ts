import type { IDBPDatabase } from 'idb';
import { StrataError } from '../errors.js';
import { base64ToBytes, bytesToBase64 } from '../codec/base64.js';
import { inStore, openDatabase, readStore } from '../idb.js';

/**
 * Derives an AES-GCM key from a password. Slow by design: call once per instance. The key
 * is non-extractable unless `extractable` (used only by key rotation, to wrap it).
 */
export async function derivePasswordKey(
  password: string,
  salt: Uint8Array<ArrayBuffer>,
  iterations: number,
  keySize: 128 | 256,
  extractable = false,
): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(password),
    'PBKDF2',
    false,
    ['deriveKey'],
  );
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations },
    material,
    { name: 'AES-GCM', length: keySize },
    extractable,
    ['encrypt', 'decrypt'],
  );
}

/** A fresh random salt, base64. */
export function newSalt(): string {
  return bytesToBase64(crypto.getRandomValues(new Uint8Array(16)));
}

/** Decodes a stored salt. */
export function saltBytes(salt: string): Uint8Array<ArrayBuffer> {
  return base64ToBytes(salt);
}

const KEYS = 'keys';

/** The database of device keys, one record per namespace. */
function openKeyring(): Promise<IDBPDatabase> {
  return openDatabase('strata-keyring', 1, {
    upgrade: (database) => database.createObjectStore(KEYS),
  });
}

/**
 * The device key of a namespace: a non-extractable AES-GCM key generated once and kept in
 * IndexedDB (as a `CryptoKey`, whose bytes script can never read). Two tabs starting at
 * once agree on one key: the first to commit wins and the other adopts it.
 * `created` is true when no key existed before.
 */
export async function deviceKey(
  namespace: string,
  keySize: 128 | 256,
): Promise<{ key: CryptoKey; created: boolean }> {
  if (typeof indexedDB === 'undefined') {
    throw new StrataError(
      'STORAGE_UNAVAILABLE',
      'A device key needs IndexedDB; pass encryption.password or encryption.key instead.',
    );
  }
  const db = await openKeyring();
  try {
    const existing = await storedDeviceKey(db, namespace);
    if (existing) return { key: existing, created: false };
    const fresh = await crypto.subtle.generateKey({ name: 'AES-GCM', length: keySize }, false, [
      'encrypt',
      'decrypt',
    ]);
    return await inStore(db, KEYS, async (store) => {
      const raced: unknown = await store.get(namespace);
      if (raced instanceof CryptoKey) return { key: raced, created: false };
      await store.put(fresh, namespace);
      return { key: fresh, created: true };
    });
  } finally {
    db.close();
  }
}

/** The namespace's device key when the keyring holds one; never creates it. */
export async function existingDeviceKey(namespace: string): Promise<CryptoKey | undefined> {
  if (typeof indexedDB === 'undefined') return undefined;
  const db = await openKeyring();
  try {
    return await storedDeviceKey(db, namespace);
  } finally {
    db.close();
  }
}

async function storedDeviceKey(
  db: IDBPDatabase,
  namespace: string,
): Promise<CryptoKey | undefined> {
  const stored: unknown = await readStore(db, KEYS).get(namespace);
  return stored instanceof CryptoKey ? stored : undefined;
}

/** Deletes a namespace's device key: every ciphertext under it becomes unreadable (crypto-shredding). */
export async function destroyDeviceKey(namespace: string): Promise<void> {
  if (typeof indexedDB === 'undefined') return;
  const db = await openKeyring();
  try {
    await db.delete(KEYS, namespace);
  } finally {
    db.close();
  }
}
