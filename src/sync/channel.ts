import { BroadcastChannel } from 'broadcast-channel';
import type { StrataError } from '../errors.js';
import { parseEnvelope, SYNC_VERSION, type SyncEnvelope, type SyncMessage } from './messages.js';

/** Handlers of a {@link SyncChannel}. */
export interface SyncHandlers {
  /** A valid change from another tab or instance. */
  onMessage(message: SyncMessage): void;
  /** A malformed or foreign-format message: ignored, reported here. */
  onInvalid(error: StrataError): void;
}

/**
 * The channel one instance uses to tell the other tabs of its changes, over the
 * `broadcast-channel` package (native BroadcastChannel where the browser has it). Our
 * own messages are recognised by sender id and never applied twice.
 */
export class SyncChannel {
  readonly #channel: BroadcastChannel<SyncEnvelope>;
  readonly #namespace: string;
  readonly #self: string;

  constructor(name: string, namespace: string, self: string, handlers: SyncHandlers) {
    this.#namespace = namespace;
    this.#self = self;
    this.#channel = new BroadcastChannel<SyncEnvelope>(name);
    this.#channel.addEventListener('message', (data: unknown) => {
      const parsed = parseEnvelope(data, this.#namespace, this.#self);
      if (parsed === null) return;
      if ('kind' in parsed) handlers.onMessage(parsed);
      else handlers.onInvalid(parsed);
    });
  }

  /** Posts a change; resolves when handed to the channel. */
  post(msg: SyncMessage): Promise<void> {
    return this.#channel.postMessage({ strata: SYNC_VERSION, ns: this.#namespace, from: this.#self, msg });
  }

  close(): Promise<void> {
    return this.#channel.close();
  }
}
