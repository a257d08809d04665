import type { NamespaceKey } from './crypto/namespace-key.js';
import { Deadlines } from './deadlines.js';
import { StrataError } from './errors.js';
import type { LayerChain } from './layer-chain.js';
import { NO_CACHE, type RecordCache } from './record-cache.js';
import { RemovalLog } from './removal-log.js';
import { Subscribers } from './subscribers.js';
import type { SyncMessage } from './sync/messages.js';
import type { Timers } from './timers.js';
import { WriteClock } from './write-clock.js';

/** The parts of one instance that its readers, removers and replica share. */
export interface StoreContext {
  readonly chain: LayerChain;
  readonly removals: RemovalLog;
  readonly clock: WriteClock;
  readonly subscribers: Subscribers;
  /** Expiry on this page's monotonic clock for what it wrote. */
  readonly deadlines: Deadlines;
  /** Decoded reads; {@link NO_CACHE} until a sync channel opens. */
  cache: RecordCache;
  /** The namespace key, its code loaded on first use. */
  key(): Promise<NamespaceKey>;
  /** The namespace key when its code is loaded and a key is held or being set up. */
  heldKey(): Promise<NamespaceKey | undefined>;
  report(error: StrataError): void;
  now(): number;
  /** The instance's timers (injectable). */
  readonly timers: Timers;
  /** An encrypted namespace: a clear record in any layer is refused as a downgrade. */
  readonly sealedOnly: boolean;
  /** A namespace with a key: its cross-tab messages are sealed, and unsealed ones refused. */
  readonly sealedSync: boolean;
  /** Whether sealed records may be stored (a key is configured, held, or was set up before). */
  mayHoldSealed(): Promise<boolean>;
  /** Tells the other tabs (a no-op without sync). */
  post(msg: SyncMessage): void;
  /** Runs removals and remote changes one at a time, in order. */
  serially<T>(work: () => Promise<T>): Promise<T>;
}

/** What an instance gives its context; the rest is made here. */
export type ContextParts = Pick<
  StoreContext,
  | 'chain'
  | 'key'
  | 'heldKey'
  | 'report'
  | 'timers'
  | 'post'
  | 'sealedOnly'
  | 'sealedSync'
  | 'mayHoldSealed'
>;

/** The context of one instance: its parts, a fresh removal log, clock and subscribers, one queue. */
export function createStoreContext(parts: ContextParts): StoreContext {
  let queue: Promise<unknown> = Promise.resolve();
  return {
    ...parts,
    now: () => parts.timers.now(),
    removals: new RemovalLog(),
    deadlines: new Deadlines(() => parts.timers.monotonic()),
    clock: new WriteClock(),
    subscribers: new Subscribers((cause) =>
      parts.report(
        new StrataError('INVALID_OPTIONS', 'A subscriber threw; the others were still called.', {
          cause,
        }),
      ),
    ),
    cache: NO_CACHE,
    serially: (work) => {
      const run = queue.then(work);
      queue = run.catch(() => undefined);
      return run;
    },
  };
}
