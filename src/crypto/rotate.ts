import type { StorageAdapter } from '../adapters/adapter.js';
import { bytesToBase64 } from '../codec/base64.js';
import { StrataError, toStorageError } from '../errors.js';
import { isFutureRecord } from '../record.js';
import { sealContext } from './sealed-record.js';
import { withLock } from '../sync/lock.js';
import type { KeyEvent } from './key-channel.js';
import { generationOf, type KeyRing } from './keyring.js';
import { destroyDeviceKey } from './keys.js';
import { META_NAME } from './meta-copies.js';
import type { KeySecret } from './secret.js';
import {
  createSlot,
  exportSlotKey,
  keyLockName,
  openSlot,
  opensSlot,
  readMeta,
  writeMeta,
  type KeyMeta,
  type PendingSlot,
} from './setup.js';

/** What a rotation works on: one instance's layers and key ring. */
export interface RotationScope {
  namespace: string;
  /** Layers that keep the key metadata. */
  metaLayers: readonly StorageAdapter[];
  /** Every layer of the instance: their encrypted records are re-encrypted. */
  dataLayers: readonly StorageAdapter[];
  ring: KeyRing;
  /** The secret that opened the ring's current key (to wrap it for resuming with the new one). */
  secret: KeySecret;
  report: (error: StrataError) => void;
  announce: (event: KeyEvent) => void;
}

/** How many passes re-encryption makes over the layers to catch records written meanwhile. */
const PASSES = 3;

/**
 * Re-keys the namespace to `target`, resumably:
 * 1. the pending key is written to the metadata (`next`: salt, verifier, and the old key's
 *    bytes wrapped under the new key when they can be exported; never the new key under
 *    the old one, so a leaked old secret opens nothing written after the rotation), and
 *    the ring starts writing with it;
 * 2. every encrypted record of every layer is re-encrypted, its ciphertext naming the new
 *    generation (a record changed meanwhile is left to the newer write and met again in
 *    the next pass);
 * 3. the metadata is committed (old key forgotten, a device key deleted from the keyring).
 * Interrupted anywhere, the next instance opened with the new secret finishes the pending
 * rotation in `ready()`; one opened with the old secret reads the old generation only and
 * refuses encrypted writes (`KEY_ROTATED`) until `rotateKey(new secret)` finishes it. A
 * rotation already committed by another tab is adopted when `target` is its key (this
 * tab's per-tab layers are re-encrypted).
 */
export async function rotateNamespaceKey(scope: RotationScope, target: KeySecret): Promise<void> {
  const { namespace, ring } = scope;
  await withLock(keyLockName(namespace), async () => {
    let meta = await readMeta(scope.metaLayers);
    if (!meta)
      throw new StrataError('KEY_LOST', 'This namespace has no key metadata to rotate from.');
    if (meta.next) {
      const pending = meta.next;
      if (!ring.cipherOf(pending.gen)) {
        const opened = await openSlot(namespace, pending, target);
        if (opened) ring.add(pending.gen, opened, true);
      }
      if (!ring.cipherOf(meta.gen ?? 1) || !ring.cipherOf(pending.gen)) {
        throw new StrataError(
          'KEY_ROTATED',
          'A key rotation is pending that this instance cannot finish; call rotateKey() with the new password or key, or open the namespace with it.',
        );
      }
      meta = await commit(scope, meta, pending);
      if (await openSlot(namespace, meta, target)) return;
    }
    const gen = meta.gen ?? 1;
    const current = ring.cipherOf(gen);
    if (!current) {
      // Another tab rotated already: adopt its key when it is the one given here.
      const adopted = await openSlot(namespace, meta, target);
      if (!adopted)
        throw new StrataError(
          'KEY_ROTATED',
          'The namespace key was rotated elsewhere to a different password or key than the one given.',
        );
      ring.add(gen, adopted, true);
      await reencrypt(
        scope.dataLayers.filter((layer) => !layer.shared),
        ring,
        gen,
        scope.report,
      );
      ring.retireOthers();
      return;
    }
    if (!(await opensSlot(current, meta))) {
      throw new StrataError(
        'KEY_ROTATED',
        'The key this instance holds is not the namespace key; reopen the namespace before rotating.',
      );
    }
    const created = await createSlot(namespace, target, gen + 1);
    const oldRaw = await exportSlotKey(namespace, meta, scope.secret).catch(() => undefined);
    const pending: PendingSlot = { ...created.slot, gen: gen + 1 };
    // The old key under the new one only: whoever holds the new secret may read the old items.
    if (oldRaw)
      pending.wrappedOld = await created.cipher.encrypt(bytesToBase64(oldRaw), '#prev-key');
    oldRaw?.fill(0);
    const started: KeyMeta = { ...meta, next: pending };
    await writeMeta(scope.metaLayers, started);
    ring.add(pending.gen, created.cipher, true);
    scope.announce({ phase: 'rotating', gen: pending.gen });
    await commit(scope, started, pending);
  });
}

/**
 * Finishes a rotation left pending (by a closed tab) when this ring holds both keys; a
 * no-op otherwise. Runs under the namespace's key lock.
 */
export async function finishPendingRotation(scope: RotationScope): Promise<void> {
  await withLock(keyLockName(scope.namespace), async () => {
    const meta = await readMeta(scope.metaLayers);
    if (!meta?.next) return;
    if (!scope.ring.cipherOf(meta.gen ?? 1) || !scope.ring.cipherOf(meta.next.gen)) {
      scope.report(
        new StrataError(
          'KEY_ROTATED',
          'A key rotation is pending and this instance holds one of its two keys; items under the other read as null until it is finished.',
        ),
      );
      return;
    }
    await commit(scope, meta, meta.next);
  });
}

/**
 * Crypto-shredding: deletes the key metadata (salt, verifier, wrapped keys) from every
 * layer and the namespace's device key from the keyring, so the ciphertext left behind
 * cannot be decrypted from what remains. A copy taken before keeps what it copied: with a
 * password, a copy holding the salt still opens with that password; with a wrapping key,
 * nothing opens once the application's server has forgotten that key too.
 */
export async function destroyNamespaceKey(
  namespace: string,
  metaLayers: readonly StorageAdapter[],
): Promise<void> {
  await withLock(keyLockName(namespace), async () => {
    const results = await Promise.allSettled(
      metaLayers.map((layer) => layer.deleteMeta(META_NAME)),
    );
    await destroyDeviceKey(namespace);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw toStorageError(failed.reason, 'Deleting the key metadata');
  });
}

async function commit(scope: RotationScope, meta: KeyMeta, pending: PendingSlot): Promise<KeyMeta> {
  const left = await reencrypt(scope.dataLayers, scope.ring, pending.gen, scope.report);
  if (left > 0) {
    throw new StrataError(
      'STORAGE_UNAVAILABLE',
      `Key rotation could not re-encrypt ${left} item(s); it stays pending (both keys work) until the next rotateKey() or ready().`,
    );
  }
  const committed: KeyMeta = {
    v: 1,
    mode: pending.mode,
    verifier: pending.verifier,
    gen: pending.gen,
  };
  if (pending.salt !== undefined) committed.salt = pending.salt;
  if (pending.iterations !== undefined) committed.iterations = pending.iterations;
  if (pending.wrapped !== undefined) committed.wrapped = pending.wrapped;
  await writeMeta(scope.metaLayers, committed);
  if (meta.mode === 'device' && pending.mode !== 'device') {
    await destroyDeviceKey(scope.namespace).catch((error: unknown) =>
      scope.report(toStorageError(error, 'Deleting the retired device key')),
    );
  }
  scope.ring.retireOthers();
  scope.announce({ phase: 'rotated', gen: pending.gen });
  return committed;
}

/**
 * Re-encrypts every readable encrypted record not yet of generation `gen` (the ring's
 * write generation). A record that changed between the read and the write is left alone
 * (the newer write wins) and met again in the next pass. Unreadable records stay as they
 * are and are reported. Resolves to how many readable records are still not re-encrypted.
 */
async function reencrypt(
  layers: readonly StorageAdapter[],
  ring: KeyRing,
  gen: number,
  report: (error: StrataError) => void,
): Promise<number> {
  let busy = 0;
  for (let pass = 0; pass < PASSES; pass++) {
    busy = 0;
    for (const layer of layers) {
      let keys: string[];
      try {
        keys = await layer.allKeys();
      } catch (error) {
        report(toStorageError(error, `Listing ${layer.kind} for key rotation`));
        continue;
      }
      for (const key of keys) {
        const record = await layer.read(key).catch(() => undefined);
        if (!record || record.x !== 1 || isFutureRecord(record) || generationOf(record.p) === gen)
          continue;
        const context = sealContext(key, record); // the header stays: only the ciphertext changes
        let plain: string;
        try {
          plain = await ring.decrypt(record.p, context);
        } catch (error) {
          if (pass === 0)
            report(
              error instanceof StrataError
                ? new StrataError(
                    error.code,
                    `${error.message} (left as it was by the key rotation)`,
                    { key },
                  )
                : toStorageError(error, 'Re-encrypting', key),
            );
          continue;
        }
        const sealed = await ring.encrypt(plain, context);
        const latest = await layer.read(key).catch(() => undefined);
        if (latest?.p !== record.p) {
          busy++;
          continue;
        }
        try {
          await layer.write(key, { ...record, p: sealed });
        } catch (error) {
          busy++;
          report(toStorageError(error, `Re-encrypting in ${layer.kind}`, key));
        }
      }
    }
    if (busy === 0 && pass > 0) return 0; // a second clean pass catches writes sealed just before the switch
  }
  return busy;
}
