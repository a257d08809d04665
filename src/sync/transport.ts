import { StrataError } from '../errors.js';

/** What a cross-tab channel must do for the store's sync channel: post a message to the other tabs, close. */
export interface ChannelTransport {
  /** Posts structured-clonable data to every other tab listening on the same name. */
  post(data: unknown): Promise<void>;
  /** Stops listening and releases the channel; nothing is posted or heard afterwards. */
  close(): Promise<void>;
}

/**
 * Opens a channel `name` whose incoming messages go to `receive` (`undefined` for a message
 * that could not be deserialized). Pass one as `sync.fallback` to carry changes in browsers
 * without a native `BroadcastChannel` (`strata-storage/broadcast-channel` ships one).
 */
export type ChannelTransportFactory = (
  name: string,
  receive: (data: unknown) => void,
) => ChannelTransport | Promise<ChannelTransport>;

/** The native `BroadcastChannel`, or `undefined` where the browser has none. */
export const nativeBroadcastChannel = (
  name: string,
  receive: (data: unknown) => void,
): ChannelTransport | undefined => {
  if (typeof BroadcastChannel !== 'function') return undefined;
  const channel = new BroadcastChannel(name);
  channel.onmessage = (event: MessageEvent) => receive(event.data);
  channel.onmessageerror = () => receive(undefined);
  return {
    post: async (data) => channel.postMessage(data),
    close: async () => channel.close(),
  };
};

/** How long a `sync.fallback` factory may take to open its channel. */
const FALLBACK_OPEN_MS = 5_000;

/**
 * Wraps `sync.fallback` for one instance: each open must finish within
 * {@link FALLBACK_OPEN_MS} (`TIMEOUT`). Once an open failed (thrown or timed out), later
 * opens fail at once with the same error, so the sync and key channels wait once at most.
 * A transport that opens after its time is closed and passes nothing on meanwhile.
 */
export function guardFallback(factory: ChannelTransportFactory): ChannelTransportFactory {
  let failure: { error: unknown } | undefined;
  return async (name, receive) => {
    if (failure) throw failure.error;
    let timedOut = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const opening = (async () => factory(name, (data) => timedOut || receive(data)))();
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        reject(
          new StrataError(
            'TIMEOUT',
            `sync.fallback did not open "${name}" in ${FALLBACK_OPEN_MS} ms: not used.`,
          ),
        );
      }, FALLBACK_OPEN_MS);
    });
    opening
      .then(
        async (transport) => timedOut && (await transport.close()),
        () => undefined,
      )
      .catch(() => undefined);
    try {
      return await Promise.race([opening, late]);
    } catch (error) {
      failure = { error };
      throw error;
    } finally {
      clearTimeout(timer);
    }
  };
}
