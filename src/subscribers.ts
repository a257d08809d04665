import { compilePattern, type KeyPattern } from './keys.js';
import type { ChangeListener, StorageChange } from './types.js';

/** The subscribers of one instance, by pattern. */
export class Subscribers {
  readonly #entries = new Set<{ pattern: KeyPattern; listener: ChangeListener }>();
  readonly #onListenerError: (error: unknown) => void;

  constructor(onListenerError: (error: unknown) => void) {
    this.#onListenerError = onListenerError;
  }

  add(pattern: string, listener: ChangeListener): () => void {
    const entry = { pattern: compilePattern(pattern), listener };
    this.#entries.add(entry);
    return () => {
      this.#entries.delete(entry);
    };
  }

  /** True when a change to `key` would reach someone: lets writers skip reading old values. */
  watches(key: string): boolean {
    for (const { pattern } of this.#entries) if (pattern.matches(key)) return true;
    return false;
  }

  /** Calls every matching listener; a throwing listener is reported and does not stop the others. */
  emit(change: StorageChange): void {
    for (const { pattern, listener } of [...this.#entries]) {
      if (!pattern.matches(change.key)) continue;
      try {
        listener(change);
      } catch (error) {
        this.#onListenerError(error);
      }
    }
  }

  clear(): void {
    this.#entries.clear();
  }
}
