import type { IDBPDatabase } from 'idb';
import { randomHex } from '../codec/base64.js';
import { StrataError } from '../errors.js';
import { inStore, openDatabase } from '../idb.js';

const LEASE_MS = 3_000;
const RENEW_MS = 750;
const POLL_MS = 25;
const LEASES = 'leases';

/**
 * A cross-tab mutex for browsers without Web Locks: a lease record in IndexedDB, taken
 * with a test-and-set inside one readwrite transaction (IndexedDB runs those one at a
 * time across tabs, so two tabs can never both take it). The holder renews the lease
 * while it works; a tab that closes stops renewing and its lease lapses after
 * {@link LEASE_MS}, so an orphaned lock frees itself. Returns false when not acquired
 * before `deadline` (epoch ms).
 */
export async function withLeaseLock<T>(
  name: string,
  work: () => Promise<T>,
  deadline: number,
): Promise<{ acquired: false } | { acquired: true; result: T }> {
  let db: IDBPDatabase;
  try {
    db = await openDatabase('strata-locks', 1, {
      upgrade: (database) => database.createObjectStore(LEASES),
      timeout: Math.max(1, deadline - Date.now()),
    });
  } catch (error) {
    if (error instanceof StrataError && error.code === 'TIMEOUT') return { acquired: false };
    throw error;
  }
  const owner = randomHex(8);
  try {
    while (!(await tryTake(db, name, owner))) {
      if (Date.now() >= deadline) return { acquired: false };
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    const renew = setInterval(() => void tryTake(db, name, owner).catch(() => undefined), RENEW_MS);
    try {
      return { acquired: true, result: await work() };
    } finally {
      clearInterval(renew);
      await release(db, name, owner).catch(() => undefined);
    }
  } finally {
    db.close();
  }
}

/** Takes or renews the lease when it is free, lapsed, or already ours. */
function tryTake(db: IDBPDatabase, name: string, owner: string): Promise<boolean> {
  return inStore(db, LEASES, async (store) => {
    const lease = (await store.get(name)) as { owner: string; until: number } | undefined;
    const now = Date.now();
    const free = !lease || lease.until <= now || lease.owner === owner;
    if (free) await store.put({ owner, until: now + LEASE_MS }, name);
    return free;
  });
}

function release(db: IDBPDatabase, name: string, owner: string): Promise<void> {
  return inStore(db, LEASES, async (store) => {
    const lease = (await store.get(name)) as { owner: string } | undefined;
    if (lease?.owner === owner) await store.delete(name);
  });
}
