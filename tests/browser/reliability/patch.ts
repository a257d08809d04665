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

/**
 * The SDK loaded afresh in a new same-origin iframe whose window `prepare` patched first
 * (e.g. a Web Storage getter that throws). Patching `window` under code that already ran
 * is not enough everywhere: WebKit's JavaScriptCore keeps reading the old
 * `window.localStorage` at a call site that is already hot. `dispose` removes the frame.
 */
export async function sdkInFreshFrame(prepare: (frame: Window) => void): Promise<{
  S: typeof import('strata-storage');
  dispose: () => void;
}> {
  const { module, dispose } = await moduleInFreshFrame<typeof import('strata-storage')>(
    '/src/index.ts',
    prepare,
  );
  return { S: module, dispose };
}

/** A source module (a path as Vite serves it) loaded afresh in a new frame that `prepare` patched first. */
export async function moduleInFreshFrame<M>(
  path: string,
  prepare: (frame: Window) => void,
): Promise<{ module: M; frame: HTMLIFrameElement; dispose: () => void }> {
  const iframe = document.createElement('iframe');
  document.body.append(iframe);
  const frame = iframe.contentWindow as Window & { eval: (source: string) => unknown };
  prepare(frame);
  // The sources as Vite serves them (its root is the repository), imported in the frame's realm.
  const url = new URL(path, location.href).href;
  const module = (await frame.eval(`import(${JSON.stringify(url)})`)) as M;
  return { module, frame: iframe, dispose: () => iframe.remove() };
}
