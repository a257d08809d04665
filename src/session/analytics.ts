import { randomHex } from '../codec/base64.js';
import { StrataError } from '../errors.js';
import { withLock } from '../sync/lock.js';
import { Emitter } from '../events.js';
import { resolveTimers, unref, type IntervalTimers, type Timers } from '../timers.js';
import { RetryQueue } from './retry-queue.js';
import { SessionManager } from './session-manager.js';
import type { StrataLike } from './strata-like.js';
import { httpError, pickFetch, postJson } from './transport.js';
import type { AuthenticatedFetcher, FetchLike } from './transport.js';

/** One analytics event as it is queued and sent. */
export interface AnalyticsEvent {
  /** Random id (crypto), so a receiver can drop a duplicate. */
  id: string;
  type: 'session_start' | 'session_end' | 'page_view' | 'event';
  /** The custom event's name (`type: 'event'`). */
  name?: string;
  /** The page (`page_view`, `session_start`). */
  path?: string;
  data?: Record<string, unknown>;
  sessionId: string;
  timestamp: number;
}

/** Options of {@link SessionAnalytics}. */
export interface SessionAnalyticsOptions {
  /** Where the data lives: a `Strata` (or any {@link StrataLike}). */
  storage: StrataLike;
  /** Default `'/api/analytics'`. */
  endpoint?: string;
  /** Sends the batches. Default: `tokens.fetch` when given, else the platform's `fetch`. */
  fetch?: FetchLike;
  /**
   * Adds the Bearer token (a `TokenManager`); the token goes in the header, never in an
   * event. Queued events are then tagged `auth`: a logout drops those not yet delivered
   * (call `end()` or `flush()` before `logout()` to send them).
   */
  tokens?: AuthenticatedFetcher;
  /**
   * The session the events belong to. Default: the {@link SessionManager} id on the same storage.
   */
  sessionId?: () => string | Promise<string>;
  /** Flush every this many ms once started; 0 turns it off. Default 30,000. */
  flushInterval?: number;
  /** Events per request. Default 50. */
  batchSize?: number;
  /** Undelivered events older than this are dropped. Default 7 days. */
  maxAge?: number;
  /** Storage key prefix of the queue. Default `'analytics-queue:'`. */
  queuePrefix?: string;
  /** Wall-clock time in epoch ms. Default `Date.now`. */
  clock?: () => number;
  /** The interval's timer functions, injectable for tests. Default: the platform's. */
  timers?: IntervalTimers;
}

/** What one {@link SessionAnalytics.flush} did. */
export interface FlushResult {
  sent: number;
  /** Events still queued (undelivered). */
  remaining: number;
  /** The failure that stopped it, when one did. */
  error?: StrataError;
}

/** Events of {@link SessionAnalytics.on}. */
export interface SessionAnalyticsEvents {
  sent: { count: number };
  error: StrataError;
}

/** Data fields never sent: anything that looks like a credential. */
const SECRET_FIELD = /token|secret|password|passwd|authorization|cookie|credential|api[-_]?key/i;

/**
 * Session analytics: session start and end, page views and custom events,
 * queued in the `Strata` first (one key per event, so a reload or a crash loses
 * nothing), then sent in batches (`POST endpoint { events, sessionId }`) every
 * `flushInterval`, when the browser comes back `online`, and on {@link end}. A failed
 * send keeps the events for the next flush; events still undelivered after 7 days are
 * dropped. Flushes are serialized across tabs by a lock, and an event leaves the queue
 * only after the server accepted it, so a batch is sent once (unless the page dies
 * between the answer and the removal: the `id` lets the server drop that duplicate).
 * Data fields named like credentials (`token`, `password`, `secret`, …) are removed from
 * events; nothing here reads tokens, and the Bearer header never enters the queue.
 */
export class SessionAnalytics {
  readonly #endpoint: string;
  readonly #fetch: FetchLike;
  readonly #sessionId: () => string | Promise<string>;
  readonly #interval: number;
  readonly #batchSize: number;
  readonly #timers: Timers;
  readonly #queue: RetryQueue<AnalyticsEvent>;
  readonly #lockName: string;
  readonly #events = new Emitter<SessionAnalyticsEvents>();
  #timer: unknown;
  #flushing: Promise<FlushResult> | undefined;
  readonly #onOnline = (): void => void this.flush();

  constructor(options: SessionAnalyticsOptions) {
    if (typeof options?.storage?.get !== 'function')
      throw new StrataError('INVALID_OPTIONS', 'SessionAnalytics needs { storage: Strata }.');
    const interval = options.flushInterval ?? 30_000;
    const batchSize = options.batchSize ?? 50;
    if (!(Number.isFinite(interval) && interval >= 0))
      throw new StrataError('INVALID_OPTIONS', 'flushInterval must be ≥ 0 ms.');
    if (!(Number.isInteger(batchSize) && batchSize > 0 && batchSize <= 1000))
      throw new StrataError('INVALID_OPTIONS', 'batchSize must be an integer from 1 to 1000.');
    this.#endpoint = options.endpoint ?? '/api/analytics';
    this.#fetch = pickFetch(options.fetch, options.tokens);
    const manager = options.sessionId ? undefined : new SessionManager(options.storage);
    this.#sessionId = options.sessionId ?? (() => (manager as SessionManager).id());
    this.#interval = interval;
    this.#batchSize = batchSize;
    const timers = (this.#timers = resolveTimers(options));
    const prefix = options.queuePrefix ?? 'analytics-queue:';
    // With a Bearer token, tagged `auth`: a logout drops them, never sent as the next user.
    this.#queue = new RetryQueue<AnalyticsEvent>({
      storage: options.storage,
      prefix,
      clock: timers.now,
      ...(options.maxAge === undefined ? {} : { maxAge: options.maxAge }),
      ...(options.tokens ? { tags: ['auth'] } : {}),
    });
    this.#lockName = `strata-analytics:${options.storage.namespace}/${prefix}`;
  }

  /** Records `session_start` and starts flushing on the interval and on `online`. */
  async start(path?: string): Promise<void> {
    this.#startLoop();
    await this.#record({ type: 'session_start', ...pathOf(path) });
  }

  /** Records a page view (default: the current `location.pathname`). */
  async trackPageView(path?: string, data?: Record<string, unknown>): Promise<void> {
    await this.#record({ type: 'page_view', ...pathOf(path), ...(data ? { data } : {}) });
  }

  /** Records a custom event. */
  async track(name: string, data?: Record<string, unknown>): Promise<void> {
    if (typeof name !== 'string' || name === '')
      throw new StrataError('INVALID_OPTIONS', 'track needs an event name.');
    await this.#record({ type: 'event', name, ...(data ? { data } : {}) });
  }

  /** Records `session_end`, flushes once, and stops. Resolves to the flush's result. */
  async end(): Promise<FlushResult> {
    await this.#record({ type: 'session_end' });
    const result = await this.flush();
    this.stop();
    return result;
  }

  /**
   * Sends every queued event (in batches, oldest first) and removes what the server
   * accepted. Never rejects: a failure is in the result and reported as `'error'`.
   * Concurrent calls share one flush.
   */
  flush(): Promise<FlushResult> {
    this.#flushing ??= withLock(this.#lockName, () => this.#sendAll())
      .catch(async (error: unknown) => this.#failed(toError(error), 0))
      .finally(() => {
        this.#flushing = undefined;
      });
    return this.#flushing;
  }

  /** Events waiting to be delivered. */
  async pending(): Promise<number> {
    return (await this.#queue.peek()).length;
  }

  /** Stops the interval and the `online` listener (queued events stay queued). */
  stop(): void {
    if (this.#timer !== undefined) this.#timers.clearInterval(this.#timer);
    this.#timer = undefined;
    if (typeof window !== 'undefined') window.removeEventListener('online', this.#onOnline);
  }

  /** Listens to `'sent'` and `'error'`. */
  on<E extends keyof SessionAnalyticsEvents>(
    event: E,
    handler: (payload: SessionAnalyticsEvents[E]) => void,
  ): () => void {
    return this.#events.on(event, handler);
  }

  #startLoop(): void {
    if (this.#timer !== undefined) return;
    if (this.#interval > 0)
      unref((this.#timer = this.#timers.setInterval(() => void this.flush(), this.#interval)));
    if (typeof window !== 'undefined') window.addEventListener('online', this.#onOnline);
  }

  async #record(fields: Pick<AnalyticsEvent, 'type'> & Partial<AnalyticsEvent>): Promise<void> {
    const event: AnalyticsEvent = {
      ...fields,
      id: randomHex(16),
      sessionId: await this.#sessionId(),
      timestamp: this.#timers.now(),
    };
    if (fields.data) event.data = scrub(fields.data) as Record<string, unknown>;
    await this.#queue.push(event);
  }

  async #sendAll(): Promise<FlushResult> {
    let sent = 0;
    for (;;) {
      const batch = await this.#queue.peek(this.#batchSize);
      if (batch.length === 0) return { sent, remaining: 0 };
      const events = batch.map((entry) => entry.item);
      let response: Response;
      try {
        response = await postJson(this.#fetch, this.#endpoint, {
          events,
          sessionId: events[0]?.sessionId,
        });
      } catch (error) {
        return this.#failed(toError(error), sent);
      }
      if (!response.ok) return this.#failed(httpError(this.#endpoint, response.status), sent);
      await this.#queue.remove(batch);
      sent += batch.length;
      this.#events.emit('sent', { count: batch.length });
    }
  }

  async #failed(error: StrataError, sent: number): Promise<FlushResult> {
    this.#events.emit('error', error);
    const remaining = await this.#queue.size().catch(() => 0);
    return { sent, remaining, error };
  }
}

function pathOf(path: string | undefined): { path?: string } {
  if (path !== undefined) return { path };
  return typeof location === 'undefined' ? {} : { path: location.pathname };
}

/** A copy of `value` without fields named like credentials. */
function scrub(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(scrub);
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(value))
    if (!SECRET_FIELD.test(name)) out[name] = scrub(field);
  return out;
}

function toError(error: unknown): StrataError {
  return error instanceof StrataError
    ? error
    : new StrataError('NETWORK', 'Sending analytics failed.', { cause: error });
}
