import { compilePattern, type KeyPattern } from './keys.js';
import type { ChangeListener, StorageChange } from './types.js';

/** The subscribers of one instance, by pattern. */
export class Subscribers {
  readonly #entries = new Set<{ pattern: KeyPattern; listener: ChangeListener }>();
  readonly #onListenerError: (error: unknown) => void;
  /** For followed keys: the last value told and how many changes were told. */
  readonly #told = new Map<string, { value: unknown; count: number }>();

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

  /** Starts remembering what is told about `key` (see {@link told}). */
  follow(key: string): void {
    if (!this.#told.has(key)) this.#told.set(key, { value: undefined, count: 0 });
  }

  unfollow(key: string): void {
    this.#told.delete(key);
  }

  /** The last value told about a followed key, and how many changes were told since it was followed. */
  told(key: string): { readonly value: unknown; readonly count: number } | undefined {
    return this.#told.get(key);
  }

  /** Calls every matching listener; a throwing listener is reported and does not stop the others. */
  emit(change: StorageChange): void {
    const told = this.#told.get(change.key);
    if (told) {
      told.value = change.newValue;
      told.count++;
    }
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
