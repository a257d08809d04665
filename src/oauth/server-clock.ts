import { readJwtTimes } from '../session/jwt.js';

/** Closer than this (seconds), the page's clock is used as it is: latency and rounding. */
const TOLERANCE_S = 5;
/** Farther than this, an `iat` is no clock sample (a token issued long ago, a wrong value). */
const MAX_OFFSET_S = 7 * 24 * 60 * 60;

/** Seconds each authorization server's clock runs ahead of this page's (negative: behind). */
const offsets = new Map<string, number>();

/**
 * How many seconds the clock of the authorization server `server` runs ahead of this page's (0
 * within a few seconds), as last learned by {@link learnServerClock}. DPoP proofs are stamped by
 * it (oauth4webapi's `clockSkew`), so a page whose clock is minutes off still sends proofs that a
 * resource server checking `iat` accepts. Shared by every client of that server in the tab.
 */
export const serverClockOffset = (server: string): number => offsets.get(server) ?? 0;

/**
 * Learns `server`'s clock from the first of `tokens` that is a JWT with an `iat`, issued just
 * now. A sample beyond a week is ignored, and so is one within a few seconds of what is known.
 */
export function learnServerClock(server: string, tokens: Array<string | undefined>): void {
  const iat = tokens.map((token) => token && readJwtTimes(token)?.iat).find(Number.isFinite);
  if (typeof iat !== 'number') return;
  const measured = Math.round(iat - Date.now() / 1000);
  // Kept unless it moved by the tolerance: a new offset rebuilds the DPoP handle and loses its nonce.
  if (
    Math.abs(measured) > MAX_OFFSET_S ||
    Math.abs(measured - serverClockOffset(server)) < TOLERANCE_S
  )
    return;
  offsets.set(server, Math.abs(measured) < TOLERANCE_S ? 0 : measured);
}
