/** A key change announced to the other tabs of the origin. Carries no key material. */
export interface KeyEvent {
  /** `rotating`: a rotation to `gen` began; `rotated`: it was committed; `destroyed`: the key was shredded. */
  phase: 'rotating' | 'rotated' | 'destroyed';
  gen: number;
}

/** The channel key changes of one namespace travel on, separate from (and independent of) data sync. */
export interface KeyChannel {
  post(event: KeyEvent): void;
  close(): void;
}

/**
 * Opens `strata-keys:<namespace>` on BroadcastChannel (undefined where there is none:
 * other tabs then find out from the key metadata when they next open the namespace).
 * Messages from this instance are ignored; malformed ones are dropped.
 */
export function openKeyChannel(namespace: string, self: string, onEvent: (event: KeyEvent) => void): KeyChannel | undefined {
  if (typeof BroadcastChannel !== 'function') return undefined;
  const channel = new BroadcastChannel(`strata-keys:${namespace}`);
  channel.onmessage = (message: MessageEvent) => {
    const data = message.data as Partial<{ strataKeys: number; ns: string; from: string; phase: string; gen: number }> | null;
    if (typeof data !== 'object' || data === null || data.strataKeys !== 1 || data.ns !== namespace || data.from === self) return;
    if ((data.phase !== 'rotating' && data.phase !== 'rotated' && data.phase !== 'destroyed') || !Number.isSafeInteger(data.gen)) return;
    onEvent({ phase: data.phase, gen: data.gen as number });
  };
  return {
    post: (event) => channel.postMessage({ strataKeys: 1, ns: namespace, from: self, ...event }),
    close: () => channel.close(),
  };
}
