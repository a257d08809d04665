import { isStrataError, StrataError } from '../errors.js';

/** How the namespace key seals and opens message text (the key is loaded on first use). */
export interface MessageCipher {
  seal(text: string, context: string): Promise<string>;
  open(sealed: string, context: string): Promise<string>;
}

/** A sealed message older or newer than this (by the sender's clock) is a replay, or forged. */
export const MESSAGE_WINDOW_MS = 60_000;

/** What a sealed message carries inside: the change, the sender's count and its time. */
interface Sealed {
  msg: unknown;
  n: number;
  t: number;
}

/**
 * Seals the cross-tab messages of a namespace with a key: confidential (nothing of a change,
 * tags included, crosses in clear) and authenticated (a message not sealed by a holder of
 * the key is refused). Each sender numbers its messages, and receivers drop a number they
 * have seen and any message outside {@link MESSAGE_WINDOW_MS}, so a replay is not applied.
 */
export class MessageSeal {
  readonly #cipher: MessageCipher;
  readonly #now: () => number;
  #sent = 0;
  /** The highest number heard from each sender, with when it was heard (to forget old senders). */
  readonly #heard = new Map<string, { n: number; at: number }>();

  constructor(cipher: MessageCipher, now: () => number = Date.now) {
    this.#cipher = cipher;
    this.#now = now;
  }

  /** The sealed text of `msg` from `self`. */
  seal(msg: unknown, self: string): Promise<string> {
    const inner: Sealed = { msg, n: ++this.#sent, t: this.#now() };
    return this.#cipher.seal(JSON.stringify(inner), context(self));
  }

  /** The message `sealed` carries from `from`; `INVALID_MESSAGE` when forged, replayed or stale. */
  async open(sealed: unknown, from: string): Promise<unknown> {
    if (typeof sealed !== 'string') throw invalid('not sealed, in a namespace with a key');
    let inner: Partial<Sealed>;
    try {
      inner = JSON.parse(await this.#cipher.open(sealed, context(from))) as Partial<Sealed>;
    } catch (error) {
      if (isStrataError(error, 'KEY_ROTATED')) throw error; // this tab is behind a rotation
      throw invalid('not sealed with this namespace key');
    }
    const now = this.#now();
    const { n, t } = inner;
    if (!Number.isSafeInteger(n) || typeof t !== 'number' || Math.abs(now - t) > MESSAGE_WINDOW_MS)
      throw invalid('outside its time window (a replay?)');
    const last = this.#heard.get(from);
    if (last && (n as number) <= last.n) throw invalid('heard before (a replay)');
    this.#heard.set(from, { n: n as number, at: now });
    for (const [sender, heard] of this.#heard)
      if (now - heard.at > MESSAGE_WINDOW_MS) this.#heard.delete(sender); // its replays are stale anyway
    return inner.msg;
  }
}

function context(sender: string): string {
  return `#sync\u0000${sender}`;
}

function invalid(reason: string): StrataError {
  return new StrataError('INVALID_MESSAGE', `Ignored a cross-tab message: ${reason}.`);
}
