import type { StrataError } from '../errors.js';
import { parseEnvelope, SYNC_VERSION, type SyncEnvelope, type SyncMessage } from './messages.js';

/** Handlers of a {@link SyncChannel}. */
export interface SyncHandlers {
  /** A valid change from another tab or instance. */
  onMessage(message: SyncMessage): void;
  /** A malformed or foreign-format message: ignored, reported here. */
  onInvalid(error: StrataError): void;
}

/** The part of a channel we use: native `BroadcastChannel` and the `broadcast-channel` package both fit. */
interface Transport {
  post(envelope: SyncEnvelope): Promise<void>;
  close(): Promise<void>;
}

/**
 * The channel one instance uses to tell the other tabs of its changes. Where the browser
 * has `BroadcastChannel` it is used directly: every message is validated by us, so data
 * posted on the channel by other code is reported and dropped (the `broadcast-channel`
 * package's own listener throws on such data). Elsewhere the `broadcast-channel`
 * package provides its fallbacks (IndexedDB, localStorage). Our own messages are
 * recognised by sender id and never applied twice.
 */
export class SyncChannel {
  readonly #transport: Transport;
  readonly #namespace: string;
  readonly #self: string;

  private constructor(transport: Transport, namespace: string, self: string) {
    this.#transport = transport;
    this.#namespace = namespace;
    this.#self = self;
  }

  /** Opens the channel `name`. */
  static async open(name: string, namespace: string, self: string, handlers: SyncHandlers): Promise<SyncChannel> {
    const receive = (data: unknown): void => {
      const parsed = parseEnvelope(data, namespace, self);
      if (parsed === null) return;
      if ('kind' in parsed) handlers.onMessage(parsed);
      else handlers.onInvalid(parsed);
    };
    return new SyncChannel(await openTransport(name, receive), namespace, self);
  }

  /** Posts a change; resolves when handed to the channel. */
  post(msg: SyncMessage): Promise<void> {
    return this.#transport.post({ strata: SYNC_VERSION, ns: this.#namespace, from: this.#self, msg });
  }

  close(): Promise<void> {
    return this.#transport.close();
  }
}

async function openTransport(name: string, receive: (data: unknown) => void): Promise<Transport> {
  if (typeof BroadcastChannel === 'function') {
    const channel = new BroadcastChannel(name);
    channel.onmessage = (event: MessageEvent) => receive(event.data);
    channel.onmessageerror = () => receive(undefined);
    return {
      post: async (envelope) => channel.postMessage(envelope),
      close: async () => channel.close(),
    };
  }
  const { BroadcastChannel: PolyfillChannel } = await import('broadcast-channel');
  const channel = new PolyfillChannel<SyncEnvelope>(name);
  channel.addEventListener('message', receive);
  return { post: (envelope) => channel.postMessage(envelope), close: () => channel.close() };
}
