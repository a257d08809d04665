import type { StorageKind } from '../types.js';
import type { StorageAdapter } from './adapter.js';
import { indexedDbAdapter } from './indexed-db.js';
import { memoryAdapter } from './memory.js';
import { webStorageAdapter } from './web-storage.js';

/** Builds the adapter of a storage kind for a namespace. */
export function createAdapter(
  kind: StorageKind,
  namespace: string,
  idbOpenTimeout: number,
): StorageAdapter {
  switch (kind) {
    case 'memory':
      return memoryAdapter(namespace);
    case 'localStorage':
    case 'sessionStorage':
      return webStorageAdapter(kind, namespace);
    case 'indexedDB':
    case 'secure':
      return indexedDbAdapter(namespace, { kind, openTimeout: idbOpenTimeout });
  }
}
