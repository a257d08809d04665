import { Emitter } from '../events.js';
import type { HeldTokens, TokenEvents } from './token-types.js';

/** The events of a `TokenManager`: a new access token and an expiry are each told once. */
export class TokenAnnouncer extends Emitter<TokenEvents> {
  #announcedToken: string | undefined;
  #expiredAnnounced = false;

  /** Emits `refreshed` once per new access token, however this tab learned of it. */
  refreshed(held: HeldTokens, by: TokenEvents['refreshed']['by']): void {
    if (held.accessToken === this.#announcedToken) return;
    this.#announcedToken = held.accessToken;
    this.emit('refreshed', { expiresAt: held.expiresAt, by });
  }

  /** Emits `expired` once, until {@link renewed}. */
  expired(held: HeldTokens): void {
    if (this.#expiredAnnounced) return;
    this.#expiredAnnounced = true;
    this.emit('expired', { expiresAt: held.expiresAt });
  }

  /** The tokens are good again: their next expiry is news. */
  renewed(): void {
    this.#expiredAnnounced = false;
  }
}
