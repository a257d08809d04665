import type { IdbEvent } from '../idb.js';
import type { StorageKind } from '../types.js';
import type { StorageAdapter } from './adapter.js';
import { memoryAdapter } from './memory.js';
import { webStorageAdapter } from './web-storage.js';

/**
 * Builds the adapter of a storage kind for a namespace; IndexedDB's code loads only when used.
 * `onConnectionEvent` hears what happens to an IndexedDB connection.
 */
export async function createAdapter(
  kind: StorageKind,
  namespace: string,
  idbOpenTimeout: number,
  onConnectionEvent?: (event: IdbEvent) => void,
): Promise<StorageAdapter> {
  switch (kind) {
    case 'memory':
      return memoryAdapter(namespace);
    case 'localStorage':
    case 'sessionStorage':
      return webStorageAdapter(kind, namespace);
    case 'indexedDB':
    case 'secure': {
      const { indexedDbAdapter } = await import('./indexed-db.js');
      return indexedDbAdapter(namespace, { kind, openTimeout: idbOpenTimeout, onConnectionEvent });
    }
  }
}
