import { StrataError } from '../errors.js';

/** Options of {@link withLock}. */
export interface LockOptions {
  /** Milliseconds to wait for the lock before failing with `LOCK_TIMEOUT`. Default 10,000. */
  timeout?: number;
}

/**
 * Runs `work` while holding a lock named `name` across every tab of the origin: Web Locks
 * (`navigator.locks`) where present, which the browser releases when a holder's tab
 * closes, so a lock is never orphaned; otherwise `broadcast-channel` leader election,
 * whose leader heartbeats let a waiting tab take over from a closed one. A lock not
 * acquired within `timeout` rejects with `LOCK_TIMEOUT` and `work` does not run.
 */
export async function withLock<T>(name: string, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const timeout = options.timeout ?? 10_000;
  const locks = typeof navigator === 'undefined' ? undefined : (navigator as Navigator & { locks?: LockManager }).locks;
  if (locks) return withWebLock(locks, name, work, timeout);
  return withElection(name, work, timeout);
}

async function withWebLock<T>(locks: LockManager, name: string, work: () => Promise<T>, timeout: number): Promise<T> {
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

async function withElection<T>(name: string, work: () => Promise<T>, timeout: number): Promise<T> {
  const { BroadcastChannel, createLeaderElection } = await import('broadcast-channel');
  const channel = new BroadcastChannel(`strata-lock:${name}`);
  const elector = createLeaderElection(channel, { fallbackInterval: 50, responseTime: 50 });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      elector.awaitLeadership(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(lockTimeout(name, timeout)), timeout);
      }),
    ]);
    return await work();
  } finally {
    clearTimeout(timer);
    await elector.die();
    await channel.close();
  }
}

function lockTimeout(name: string, timeout: number): StrataError {
  return new StrataError('LOCK_TIMEOUT', `The cross-tab lock "${name}" was not acquired within ${timeout} ms.`);
}
