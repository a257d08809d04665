import { afterEach, describe, expect, it, vi } from 'vitest';
import { learnServerClock, serverClockOffset } from '../../src/oauth/server-clock.js';

/** An unsigned JWT whose only claim is `iat` (seconds): all the clock reads. */
const issuedAt = (iat: number): string =>
  `e30.${Buffer.from(JSON.stringify({ iat })).toString('base64url')}.sig`;
const NOW_S = 1_800_000_000;

describe('the authorization server clock', () => {
  afterEach(() => vi.useRealTimers());

  it('keeps an offset through the jitter of whole-second iat and latency, and follows a real move', () => {
    vi.useFakeTimers({ now: NOW_S * 1000 });
    const server = 'https://as.example/jitter';
    learnServerClock(server, [issuedAt(NOW_S + 600)]);
    expect(serverClockOffset(server)).toBe(600);
    learnServerClock(server, [issuedAt(NOW_S + 601)]); // one second of rounding: kept
    learnServerClock(server, [issuedAt(NOW_S + 598)]);
    expect(serverClockOffset(server)).toBe(600);
    learnServerClock(server, [issuedAt(NOW_S + 2)]); // the page's clock was corrected
    expect(serverClockOffset(server)).toBe(0);
    learnServerClock(server, [issuedAt(NOW_S + 30 * 24 * 3600)]); // no clock sample
    expect(serverClockOffset(server)).toBe(0);
  });
});
