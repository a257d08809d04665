import { useCallback, useEffect, useState } from 'react';
import type { Strata } from '../strata.js';

/**
 * A live value of `strata` under `key` and its setter: `null` until read (and on the
 * server), then updated by every change, local or from another tab. Setting `null`
 * removes the key.
 */
export function useStrataValue<T>(strata: Strata, key: string): [T | null, (value: T | null) => Promise<void>] {
  const [value, setValue] = useState<T | null>(null);
  useEffect(() => {
    let current = true;
    let changed = false; // a change heard before the first read resolves is newer than it
    const stop = strata.subscribe(key, (change) => {
      if (change.key !== key) return;
      changed = true;
      setValue(change.newValue as T | null);
    });
    strata.get<T>(key).then(
      (stored) => current && !changed && setValue(stored),
      () => undefined, // a closed or unreadable store reads as null; errors are reported by the Strata
    );
    return () => {
      current = false;
      stop();
    };
  }, [strata, key]);
  const update = useCallback((next: T | null) => (next === null ? strata.remove(key) : strata.set(key, next)), [strata, key]);
  return [value, update];
}
