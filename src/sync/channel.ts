import type { StrataError } from '../errors.js';
import type { MessageSeal } from './message-seal.js';
import { parseEnvelope, SYNC_VERSION, type SyncEnvelope, type SyncMessage } from './messages.js';
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
  /** One of this instance's own changes, as it is posted. */
  onPost?(message: SyncMessage): void;
  /** The channel closes: nothing more is heard or posted. */
  onClose?(): void;
}

/**
 * The channel one instance uses to tell the other tabs of its changes. Where the browser
 * has `BroadcastChannel` it is used directly; elsewhere the `fallback` transport, if one
 * was given (`strata-storage/broadcast-channel`). Every message is validated by us, so
 * data posted on the channel by other code is reported and dropped. Our own messages are
 * recognised by sender id and never applied twice. With a `seal` (a namespace with a key),
 * every message is sealed and only sealed ones are taken, in the order they arrived.
 */
export class SyncChannel {
  readonly #transport: ChannelTransport;
  readonly #namespace: string;
  readonly #self: string;
  readonly #seal: MessageSeal | undefined;
  readonly #handlers: SyncHandlers;
  /** Posts in order: sealing is asynchronous, and receivers drop a number lower than one heard. */
  #posting: Promise<unknown> = Promise.resolve();

  private constructor(
    transport: ChannelTransport,
    namespace: string,
    self: string,
    seal: MessageSeal | undefined,
    handlers: SyncHandlers,
  ) {
    this.#transport = transport;
    this.#namespace = namespace;
    this.#self = self;
    this.#seal = seal;
    this.#handlers = handlers;
  }

  /** Opens the channel `name`; `undefined` when the browser has no `BroadcastChannel` and no fallback was given. */
  static async open(
    name: string,
    namespace: string,
    self: string,
    handlers: SyncHandlers,
    fallback?: ChannelTransportFactory,
    seal?: MessageSeal,
  ): Promise<SyncChannel | undefined> {
    const deliver = (data: unknown): void => {
      const parsed = parseEnvelope(data, namespace, self);
      if (parsed === null) return;
      if ('kind' in parsed) handlers.onMessage(parsed);
      else handlers.onInvalid(parsed);
    };
    let opening: Promise<unknown> = Promise.resolve();
    const receive = (data: unknown): void => {
      const envelope = data as Partial<SyncEnvelope & { sealed: unknown }> | null;
      if (!seal || envelope?.strata !== SYNC_VERSION || envelope.ns !== namespace)
        return deliver(data);
      if (envelope.from === self) return;
      const from = String(envelope.from);
      opening = opening.then(() =>
        seal.open(envelope.sealed, from).then(
          (msg) => deliver({ strata: SYNC_VERSION, ns: namespace, from, msg }),
          (error: StrataError) => handlers.onInvalid(error),
        ),
      );
    };
    const transport = nativeBroadcastChannel(name, receive) ?? (await fallback?.(name, receive));
    return transport && new SyncChannel(transport, namespace, self, seal, handlers);
  }

  /** Posts a change; resolves when handed to the channel. */
  post(msg: SyncMessage): Promise<void> {
    this.#handlers.onPost?.(msg);
    const envelope = { strata: SYNC_VERSION, ns: this.#namespace, from: this.#self };
    const seal = this.#seal;
    if (!seal) return this.#transport.post({ ...envelope, msg });
    const posted = this.#posting.then(async () =>
      this.#transport.post({ ...envelope, sealed: await seal.seal(msg, this.#self) }),
    );
    this.#posting = posted.catch(() => undefined);
    return posted;
  }

  /** Resolves once every change posted so far is sealed and handed to the channel. */
  async drain(): Promise<void> {
    await this.#posting;
  }

  /** Closes the transport. */
  close(): Promise<void> {
    this.#handlers.onClose?.();
    return this.#transport.close();
  }
}
