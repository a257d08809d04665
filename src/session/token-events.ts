import { Emitter } from '../events.js';
import type { HeldTokens, TokenEvents, TokenStatus } from './token-types.js';

/** The events of a `TokenManager`: a new access token and an expiry are each told once. */
export class TokenAnnouncer extends Emitter<TokenEvents> {
  #announcedToken: string | undefined;
  #expiredAnnounced = false;
  #bufferCut = false;

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

  /**
   * Emits `adjusted` when `status` (of `held`) refreshes less than `refreshBuffer` before
   * expiry; once, until a status that applies it whole.
   */
  refreshBufferUsed(
    held: HeldTokens | undefined,
    status: TokenStatus,
    refreshBuffer: number,
  ): void {
    if (!held || status.expiresAt === null || status.refreshAt === null) return;
    const applied = status.expiresAt - status.refreshAt;
    const cut = applied < refreshBuffer;
    if (cut === this.#bufferCut) return;
    this.#bufferCut = cut;
    if (!cut) return;
    const lifetime = Math.max(status.expiresAt - held.issuedAt, 0);
    this.emit('adjusted', { option: 'refreshBuffer', requested: refreshBuffer, applied, lifetime });
  }

  /** The tokens are good again: their next expiry is news. */
  renewed(): void {
    this.#expiredAnnounced = false;
  }
}
