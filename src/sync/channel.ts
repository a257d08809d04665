import type { StrataError } from '../errors.js';
import { parseEnvelope, SYNC_VERSION, type SyncMessage } from './messages.js';
import {
  nativeBroadcastChannel,
  type ChannelTransport,
  type ChannelTransportFactory,
} from './transport.js';

/** Handlers of a {@link SyncChannel}. */
export interface SyncHandlers {
  /** A valid change from another tab or instance. */
  onMessage(message: SyncMessage): void;
  /** A malformed or foreign-format message: ignored, reported here. */
  onInvalid(error: StrataError): void;
}

/**
 * The channel one instance uses to tell the other tabs of its changes. Where the browser
 * has `BroadcastChannel` it is used directly; elsewhere the `fallback` transport, if one
 * was given (`strata-storage/broadcast-channel`). Every message is validated by us, so
 * data posted on the channel by other code is reported and dropped. Our own messages are
 * recognised by sender id and never applied twice.
 */
export class SyncChannel {
  readonly #transport: ChannelTransport;
  readonly #namespace: string;
  readonly #self: string;

  private constructor(transport: ChannelTransport, namespace: string, self: string) {
    this.#transport = transport;
    this.#namespace = namespace;
    this.#self = self;
  }

  /** Opens the channel `name`; `undefined` when the browser has no `BroadcastChannel` and no fallback was given. */
  static async open(
    name: string,
    namespace: string,
    self: string,
    handlers: SyncHandlers,
    fallback?: ChannelTransportFactory,
  ): Promise<SyncChannel | undefined> {
    const receive = (data: unknown): void => {
      const parsed = parseEnvelope(data, namespace, self);
      if (parsed === null) return;
      if ('kind' in parsed) handlers.onMessage(parsed);
      else handlers.onInvalid(parsed);
    };
    const transport = nativeBroadcastChannel(name, receive) ?? (await fallback?.(name, receive));
    return transport && new SyncChannel(transport, namespace, self);
  }

  /** Posts a change; resolves when handed to the channel. */
  post(msg: SyncMessage): Promise<void> {
    return this.#transport.post({
      strata: SYNC_VERSION,
      ns: this.#namespace,
      from: this.#self,
      msg,
    });
  }

  close(): Promise<void> {
    return this.#transport.close();
  }
}
