import { isStrataError, StrataError } from '../errors.js';

/** Options of {@link withLock}. */
export interface LockOptions {
  /** Milliseconds to wait for the lock before failing with `LOCK_TIMEOUT`. Default 10,000. */
  timeout?: number;
}

/**
 * Runs `work` while holding a lock named `name` across every tab of the origin: Web Locks
 * (`navigator.locks`) where present, which the browser releases when a holder's tab
 * closes, so a lock is never orphaned; otherwise an IndexedDB lease that a closed tab
 * stops renewing. (Leader election over `broadcast-channel` was tried here and let two
 * tabs hold the lock at once in the exclusivity test, so it is not used for locking.)
 * A lock not acquired within `timeout` rejects with `LOCK_TIMEOUT` and `work` does not run.
 */
export async function withLock<T>(
  name: string,
  work: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const timeout = options.timeout ?? 10_000;
  const locks =
    typeof navigator === 'undefined'
      ? undefined
      : (navigator as Navigator & { locks?: LockManager }).locks;
  if (locks) return withWebLock(locks, name, work, timeout);
  return withLease(name, work, timeout);
}

/**
 * {@link withLock}; when the lock does not come in time, `otherwise` (if given) runs instead,
 * without it.
 */
export function withLockOr<T>(
  name: string,
  work: () => Promise<T>,
  otherwise: (() => T | Promise<T>) | undefined,
  options?: LockOptions,
): Promise<T> {
  const locked = withLock(name, work, options);
  if (!otherwise) return locked;
  return locked.catch((error: unknown) => {
    if (isStrataError(error, 'LOCK_TIMEOUT')) return otherwise();
    throw error;
  });
}

async function withWebLock<T>(
  locks: LockManager,
  name: string,
  work: () => Promise<T>,
  timeout: number,
): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeout);
  try {
    return await locks.request(name, { signal: controller.signal }, () => {
      clearTimeout(timer);
      return work();
    });
  } catch (error) {
    if (controller.signal.aborted && error instanceof DOMException && error.name === 'AbortError') {
      throw lockTimeout(name, timeout);
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

async function withLease<T>(name: string, work: () => Promise<T>, timeout: number): Promise<T> {
  const { withLeaseLock } = await import('./lease-lock.js');
  const outcome = await withLeaseLock(name, work, Date.now() + timeout);
  if (!outcome.acquired) throw lockTimeout(name, timeout);
  return outcome.result;
}

function lockTimeout(name: string, timeout: number): StrataError {
  return new StrataError(
    'LOCK_TIMEOUT',
    `The cross-tab lock "${name}" was not acquired within ${timeout} ms.`,
  );
}

/** What {@link onceAcrossTabs} resolved to, and which tab did the work. */
export interface SharedResult<T> {
  value: T;
  by: 'this-tab' | 'other-tab';
}

/**
 * Does `work` once for all tabs that ask at the same time, and shares its result: under
 * the lock `name`, `find` looks for a result another tab already produced (typically in a
 * shared {@link Strata}); only when there is none does this tab run `work`, whose result
 * the next waiter's `find` then sees (the pattern of the refresh-token single flight).
 * `find` must read a store that is current when the lock changes hands, such as IndexedDB:
 * Chromium hands a localStorage write to other tabs asynchronously, so a `find` on
 * localStorage alone can miss a result written just before.
 */
export async function onceAcrossTabs<T>(
  name: string,
  find: () => Promise<T | undefined>,
  work: () => Promise<T>,
  options: LockOptions = {},
): Promise<SharedResult<T>> {
  return withLock(
    name,
    async () => {
      const existing = await find();
      if (existing !== undefined) return { value: existing, by: 'other-tab' as const };
      return { value: await work(), by: 'this-tab' as const };
    },
    options,
  );
}
