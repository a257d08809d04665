import { StrataError } from '../errors.js';

/** What a cross-tab channel must do for {@link SyncChannel}: post a message to the other tabs, close. */
export interface ChannelTransport {
  /** Posts structured-clonable data to every other tab listening on the same name. */
  post(data: unknown): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens a channel `name` whose incoming messages go to `receive` (`undefined` for a message
 * that could not be deserialized). Pass one as `sync.fallback` to carry changes in browsers
 * without a native `BroadcastChannel` (`strata-storage/broadcast-channel` ships one).
 */
export type ChannelTransportFactory = (name: string, receive: (data: unknown) => void) => ChannelTransport | Promise<ChannelTransport>;

/** The native `BroadcastChannel`, or `undefined` where the browser has none. */
export const nativeBroadcastChannel = (name: string, receive: (data: unknown) => void): ChannelTransport | undefined => {
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
export const FALLBACK_OPEN_MS = 5_000;

/**
 * The native `BroadcastChannel`, else the `fallback` transport, which must open within
 * {@link FALLBACK_OPEN_MS} (`TIMEOUT` after it, and a transport that arrives later is
 * closed); `undefined` with neither. A factory that throws rejects.
 */
export async function openTransport(name: string, receive: (data: unknown) => void, fallback?: ChannelTransportFactory): Promise<ChannelTransport | undefined> {
  const native = nativeBroadcastChannel(name, receive);
  if (native || !fallback) return native;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timedOut = false;
  const opening = (async () => fallback(name, receive))();
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(new StrataError('TIMEOUT', `sync.fallback did not open the channel "${name}" within ${FALLBACK_OPEN_MS} ms; it is not used.`));
    }, FALLBACK_OPEN_MS);
  });
  opening.then(async (transport) => timedOut && (await transport.close()), () => undefined).catch(() => undefined);
  try {
    return await Promise.race([opening, late]);
  } finally {
    clearTimeout(timer);
  }
}
