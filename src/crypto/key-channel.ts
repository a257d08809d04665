import { nativeBroadcastChannel, type ChannelTransportFactory } from '../sync/transport.js';

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
 * Opens `strata-keys:<namespace>` on BroadcastChannel, or on the `fallback` transport
 * (`sync.fallback`) where there is none; undefined when neither works: other tabs then
 * find out from the key metadata when they next open the namespace. Messages from this
 * instance are ignored; malformed ones are dropped. Posting never throws.
 */
export async function openKeyChannel(
  namespace: string,
  self: string,
  onEvent: (event: KeyEvent) => void,
  fallback?: ChannelTransportFactory,
): Promise<KeyChannel | undefined> {
  const name = `strata-keys:${namespace}`;
  const receive = (received: unknown): void => {
    const data = received as
      | Partial<{ strataKeys: number; ns: string; from: string; phase: string; gen: number }>
      | null
      | undefined;
    if (
      typeof data !== 'object' ||
      data === null ||
      data.strataKeys !== 1 ||
      data.ns !== namespace ||
      data.from === self
    )
      return;
    if (
      (data.phase !== 'rotating' && data.phase !== 'rotated' && data.phase !== 'destroyed') ||
      !Number.isSafeInteger(data.gen)
    )
      return;
    onEvent({ phase: data.phase, gen: data.gen as number });
  };
  const channel =
    nativeBroadcastChannel(name, receive) ??
    (await (async () => fallback?.(name, receive))().catch(() => undefined));
  return (
    channel && {
      post: (event) =>
        settle(() => channel.post({ strataKeys: 1, ns: namespace, from: self, ...event })),
      close: () => settle(() => channel.close()),
    }
  );
}

/** Runs a transport call whose failure (thrown or rejected) must not reach the caller. */
function settle(call: () => unknown): void {
  try {
    void Promise.resolve(call()).catch(() => undefined);
  } catch {
    // a transport that throws synchronously: the event is lost, as with a closed channel
  }
}
