import { isQuotaError, toStorageError } from '../errors.js';
import { decodeRecordText, encodeRecordText, type StoredRecord } from '../record.js';
import { isExpired } from '../ttl.js';
import { encodeNamespace, type StorageAdapter } from './adapter.js';
import { hasAnyTag } from './memory.js';

/** Which Web Storage area. */
export type WebStorageKind = 'localStorage' | 'sessionStorage';

/**
 * `localStorage` or `sessionStorage`. Physical keys are `<namespace>:<key>` (the namespace
 * URI-encoded, so it holds no `:`), metadata `<namespace>#<name>`. The global is looked up
 * on first use, inside try/catch (merely reading `window.localStorage` throws where storage
 * is blocked), then kept; each call on it is guarded too. `storage` replaces the global (tests
 * inject a storage area instead of patching the browser's).
 */
export function webStorageAdapter(
  kind: WebStorageKind,
  namespace: string,
  storage?: Storage,
): StorageAdapter {
  const dataPrefix = `${encodeNamespace(namespace)}:`;
  const metaPrefix = `${encodeNamespace(namespace)}#`;
  let found: Storage | undefined = storage;
  const area = (): Storage => {
    if (found) return found;
    try {
      found = (globalThis as Record<string, unknown>)[kind] as Storage | undefined;
      if (found) return found;
    } catch (error) {
      throw toStorageError(error, `${kind} access`);
    }
    throw toStorageError(new Error('missing'), `${kind} access`);
  };

  /** Reads every record of the namespace with its key; malformed ones are passed to `onBad`. */
  const scan = (prefix: string, visit: (key: string, record: StoredRecord) => void): void => {
    const storage = area();
    const full = dataPrefix + prefix;
    for (const physical of Object.keys(storage)) {
      if (!physical.startsWith(full)) continue;
      const text = storage.getItem(physical);
      if (text === null) continue;
      let record: StoredRecord;
      try {
        record = decodeRecordText(text);
      } catch {
        continue; // malformed: not listed, not touched; reads report it
      }
      visit(physical.slice(dataPrefix.length), record);
    }
  };
  const select = (prefix: string, test: (record: StoredRecord) => boolean): Promise<string[]> =>
    attempt('scan', () => {
      const out: string[] = [];
      scan(prefix, (key, record) => test(record) && out.push(key));
      return out;
    });

  return {
    kind,
    shared: kind === 'localStorage',
    isAvailable: async () => {
      let storage: Storage;
      try {
        storage = area();
      } catch {
        return false;
      }
      const probe = `${metaPrefix}probe`;
      try {
        storage.setItem(probe, '1');
        const ok = storage.getItem(probe) === '1';
        storage.removeItem(probe);
        return ok;
      } catch (error) {
        // Full is not broken: what is stored must stay readable; writes fall through.
        return isQuotaError(error);
      }
    },
    read: (key) =>
      attempt(
        'read',
        () => {
          const text = area().getItem(dataPrefix + key);
          return text === null ? undefined : decodeRecordText(text, key);
        },
        key,
      ),
    write: (key, record) =>
      attempt('write', () => area().setItem(dataPrefix + key, encodeRecordText(record)), key),
    delete: (key) => attempt('delete', () => area().removeItem(dataPrefix + key), key),
    keys: (prefix, now) => select(prefix, (r) => !isExpired(r, now)),
    keysTagged: (tags, prefix) => select(prefix, (r) => hasAnyTag(r, tags)),
    expiredKeys: (now) => select('', (r) => isExpired(r, now)),
    allKeys: () =>
      attempt('scan', () =>
        Object.keys(area())
          .filter((k) => k.startsWith(dataPrefix))
          .map((k) => k.slice(dataPrefix.length)),
      ),
    readMeta: (name) => attempt('read', () => area().getItem(metaPrefix + name) ?? undefined),
    writeMeta: (name, value) => attempt('write', () => area().setItem(metaPrefix + name, value)),
    deleteMeta: (name) => attempt('delete', () => area().removeItem(metaPrefix + name)),
    close: () => Promise.resolve(),
  };

  function attempt<T>(what: string, run: () => T, key?: string): Promise<T> {
    try {
      return Promise.resolve(run());
    } catch (error) {
      return Promise.reject(toStorageError(error, `${kind} ${what}`, key));
    }
  }
}
