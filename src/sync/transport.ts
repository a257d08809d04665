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
