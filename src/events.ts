type Handler = (payload: never) => void;

/** A small typed event emitter; a throwing handler does not stop the others. */
export class Emitter<Events extends object> {
  readonly #handlers = new Map<keyof Events, Set<Handler>>();

  /** Adds a handler; returns the function that removes it. */
  on<E extends keyof Events>(event: E, handler: (payload: Events[E]) => void): () => void {
    let set = this.#handlers.get(event);
    if (!set) this.#handlers.set(event, (set = new Set()));
    set.add(handler as Handler);
    return () => {
      set.delete(handler as Handler);
    };
  }

  /** Calls every handler of `event`; returns how many there were. */
  emit<E extends keyof Events>(event: E, payload: Events[E]): number {
    const handlers = [...(this.#handlers.get(event) ?? [])];
    for (const handler of handlers) {
      try {
        (handler as (payload: Events[E]) => void)(payload);
      } catch {
        // a handler's failure is its own; the emitter keeps going
      }
    }
    return handlers.length;
  }

  /** Removes every handler. */
  clear(): void {
    this.#handlers.clear();
  }
}
