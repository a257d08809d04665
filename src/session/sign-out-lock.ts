/**
 * A sign-out underway, visible to every tab of the origin: the tab that signs out holds a
 * shared Web Lock for as long as it takes (the browser releases it if that tab closes), and a
 * refresh or restore about to hand out a result asks whether any tab holds or waits for it.
 * A sign-out waits for the refresh lock a refresh in flight holds, so without this the
 * refresh would hand out tokens the sign-out revokes a moment later. Where Web Locks are
 * missing it is a no-op (the stored tokens, re-read under the lock, are the only guard).
 */

type Locks = Pick<LockManager, 'request'> & Partial<Pick<LockManager, 'query'>>;

function webLocks(): Locks | undefined {
  if (typeof navigator === 'undefined') return undefined;
  return (navigator as Navigator & { locks?: Locks }).locks;
}

/** The lock name of a sign-out from the session stored under `key` in `namespace`. */
export function signOutLockName(namespace: string, key: string): string {
  return `strata-signout:${namespace}/${key}`;
}

/** Runs `work` while this tab is known to be signing out under `name`. */
export function whileSigningOut<T>(name: string, work: () => Promise<T>): Promise<T> {
  const locks = webLocks();
  if (!locks) return work();
  // Shared: sign-outs never wait for each other; nothing ever asks for it exclusively.
  return locks.request(name, { mode: 'shared' }, work) as Promise<T>;
}

/** Whether a tab (this one included) is signing out under `name`. */
export async function signingOut(name: string): Promise<boolean> {
  const locks = webLocks();
  if (!locks?.query) return false;
  try {
    const { held = [], pending = [] } = await locks.query();
    return [...held, ...pending].some((lock) => lock.name === name);
  } catch {
    return false;
  }
}
