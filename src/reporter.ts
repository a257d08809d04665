import { StrataError } from './errors.js';
import { Emitter } from './events.js';
import type { StorageKind } from './types.js';

/** Events of `Strata.on`. */
export interface StrataEvents {
  /** Something failed that did not throw: a tampered record, a broken layer, a bad message. */
  error: StrataError;
  /** A write did not fit its layer and went to a later one. */
  fallback: { key: string; from: StorageKind; to: StorageKind; reason: StrataError };
  /** At start-up: these persistent layers held data in this browser and the browser deleted it. */
  evicted: { layers: StorageKind[] };
}

const EVENTS: ReadonlyArray<keyof StrataEvents> = ['error', 'fallback', 'evicted'];

/** The events of one instance, and how what fails without throwing reaches the app. */
export class Reporter {
  readonly #events = new Emitter<StrataEvents>();
  readonly #onError: ((error: StrataError) => void) | undefined;

  constructor(onError: ((error: StrataError) => void) | undefined) {
    this.#onError = onError;
  }

  /** Adds a handler of a known event; `INVALID_OPTIONS` for another name. */
  on<E extends keyof StrataEvents>(
    event: E,
    handler: (payload: StrataEvents[E]) => void,
  ): () => void {
    if (!EVENTS.includes(event))
      throw new StrataError('INVALID_OPTIONS', `Unknown event "${String(event)}".`);
    return this.#events.on(event, handler);
  }

  /** To the `'error'` handlers and `onError`; with neither, to the console. */
  report(error: StrataError): void {
    const heard = this.#events.emit('error', error);
    if (this.#onError) {
      try {
        this.#onError(error);
      } catch {
        // an error handler that throws must not break storage
      }
    } else if (heard === 0) console.warn(`[strata-storage] ${error.code}: ${error.message}`);
  }

  /** Persistent layers lost their data since this browser last used them. */
  evicted(layers: StorageKind[]): void {
    this.#events.emit('evicted', { layers });
  }

  /** A write went to a later layer: a `'fallback'` event and a report. */
  fallback(key: string, from: StorageKind, to: StorageKind, reason: StrataError): void {
    this.#events.emit('fallback', { key, from, to, reason });
    const lost = to === 'memory' ? ' (it will not survive a reload)' : '';
    this.report(
      new StrataError(
        reason.code,
        `${reason.message} The item "${key}" was written to ${to} instead${lost}.`,
        { cause: reason, key },
      ),
    );
  }
}
