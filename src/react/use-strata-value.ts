import { useCallback, useEffect, useState } from 'react';
import { StrataError } from '../errors.js';
import type { Strata } from '../strata.js';

/** What the hook last learned, and for which store and key: never shown for another key. */
interface Reading<T> {
  strata: Strata;
  key: string;
  value: T | null;
  error: StrataError | null;
}

/**
 * A live value of `strata` under `key`, its setter, and the error of the last read: the
 * value is `null` until read (and on the server), then follows every change, local or
 * from another tab (with `sync.enabled`). When `key` or `strata` changes, the value is
 * `null` again until the new key is read: a value never shows under another key. The
 * setter writes with the instance's defaults (ttl, encryption); `null` removes the key.
 * A read that fails (wrong password, closed store, invalid key) leaves the value `null`
 * and gives the `StrataError` as the third element.
 */
export function useStrataValue<T>(
  strata: Strata,
  key: string,
): [T | null, (value: T | null) => Promise<void>, StrataError | null] {
  const [reading, setReading] = useState<Reading<T> | null>(null);
  useEffect(() => {
    let current = true;
    let changed = false; // a change heard before the first read resolves is newer than it
    const show = (value: T | null, error: StrataError | null = null) =>
      current && setReading({ strata, key, value, error });
    let stop = (): void => undefined;
    try {
      stop = strata.subscribe(key, (change) => {
        if (change.key !== key) return;
        changed = true;
        show(change.newValue as T | null);
      });
    } catch (error) {
      show(null, asStrataError(error));
      return () => void (current = false);
    }
    strata.get<T>(key).then(
      (stored) => !changed && show(stored),
      (error: unknown) => !changed && show(null, asStrataError(error)),
    );
    return () => {
      current = false;
      stop();
    };
  }, [strata, key]);
  const update = useCallback(
    (next: T | null) => (next === null ? strata.remove(key) : strata.set(key, next)),
    [strata, key],
  );
  const mine =
    reading !== null && reading.strata === strata && reading.key === key ? reading : null;
  return [mine?.value ?? null, update, mine?.error ?? null];
}

function asStrataError(error: unknown): StrataError {
  return error instanceof StrataError
    ? error
    : new StrataError('STORAGE_UNAVAILABLE', 'Reading the value failed.', { cause: error });
}
