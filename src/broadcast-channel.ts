/**
 * `strata-storage/broadcast-channel`: cross-tab sync for browsers without a native
 * `BroadcastChannel`, over the `broadcast-channel` package (IndexedDB or localStorage
 * underneath). Opt in with `sync: { enabled: true, fallback: broadcastChannelFallback }`;
 * where the browser has `BroadcastChannel` the native one is used and this costs nothing
 * but its download (about 5 kB min+gzip, kept out of the main entry for that reason).
 * @packageDocumentation
 * @module strata-storage/broadcast-channel
 */
import { BroadcastChannel as PackageChannel } from 'broadcast-channel';
import type { ChannelTransportFactory } from './sync/transport.js';

/** A {@link ChannelTransportFactory} over the `broadcast-channel` package. */
export const broadcastChannelFallback: ChannelTransportFactory = (name, receive) => {
  const channel = new PackageChannel<unknown>(name);
  channel.addEventListener('message', receive);
  return { post: (data) => channel.postMessage(data), close: () => channel.close() };
};

export type { ChannelTransport, ChannelTransportFactory } from './sync/transport.js';
