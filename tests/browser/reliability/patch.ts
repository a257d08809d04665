/** Replaces `target[name]` until the returned function restores it (test fault injection). */
export function patch<T extends object, K extends keyof T>(
  target: T,
  name: K,
  replacement: T[K],
): () => void {
  const descriptor = Object.getOwnPropertyDescriptor(target, name);
  Object.defineProperty(target, name, { configurable: true, writable: true, value: replacement });
  return () => {
    if (descriptor) Object.defineProperty(target, name, descriptor);
    else delete target[name];
  };
}

/** Replaces a getter (e.g. `window.localStorage`) until the returned function restores it. */
export function patchGetter(target: object, name: string, get: () => unknown): () => void {
  const descriptor = Object.getOwnPropertyDescriptor(target, name);
  Object.defineProperty(target, name, { configurable: true, get });
  return () => {
    if (descriptor) Object.defineProperty(target, name, descriptor);
  };
}

/** A DOMException as the browser throws it. */
export function domError(name: string): DOMException {
  return new DOMException(`injected ${name}`, name);
}
