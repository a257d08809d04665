import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isExpired, isValidTtl, shouldSlide, timeLeft } from '../../src/ttl.js';

const time = fc.integer({ min: 0, max: 2 ** 50 });
const ttl = fc.integer({ min: 1, max: 2 ** 40 });

describe('TTL arithmetic (property)', () => {
  it('expiry is monotonic: once expired at a time, expired at every later time', () => {
    fc.assert(
      fc.property(time, time, time, (e, a, b) => {
        const [early, late] = a <= b ? [a, b] : [b, a];
        if (isExpired({ e }, early)) expect(isExpired({ e }, late)).toBe(true);
        expect(isExpired({}, late)).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('time left is never negative, never grows as time passes, and is 0 exactly when expired', () => {
    fc.assert(
      fc.property(time, time, time, (e, a, b) => {
        const [early, late] = a <= b ? [a, b] : [b, a];
        const left = timeLeft({ e }, early) as number;
        expect(left).toBeGreaterThanOrEqual(0);
        expect(timeLeft({ e }, late) as number).toBeLessThanOrEqual(left);
        expect(left === 0).toBe(isExpired({ e }, early));
        expect(timeLeft({}, early)).toBeNull();
      }),
      { numRuns: 1000 },
    );
  });

  it('a set at now with ttl is alive for exactly ttl ms', () => {
    fc.assert(
      fc.property(time, ttl, (now, t) => {
        const e = now + t;
        expect(isExpired({ e }, now + t - 1)).toBe(false);
        expect(isExpired({ e }, now + t)).toBe(true);
        expect(timeLeft({ e }, now)).toBe(t);
      }),
    );
  });

  it('slide throttle: right after a slide no slide is due; once due, it stays due as time passes', () => {
    fc.assert(
      fc.property(
        time,
        ttl,
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        (now, t, d1, d2) => {
          const slid = { e: now + t, t, s: 1 as const };
          expect(shouldSlide(slid, now)).toBe(false);
          const due = shouldSlide(slid, now + d1);
          if (due) expect(shouldSlide(slid, now + d1 + d2)).toBe(true);
          // Due exactly when the gain passes min(10 % of ttl, 5 s).
          expect(due).toBe(d1 > Math.min(t * 0.1, 5_000));
          expect(shouldSlide({ e: now + t, t }, now + d1)).toBe(false); // not sliding: never
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('only positive finite numbers are valid TTLs', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        expect(isValidTtl(value)).toBe(
          typeof value === 'number' && Number.isFinite(value) && value > 0,
        );
      }),
    );
    fc.assert(
      fc.property(fc.double(), (value) => {
        expect(isValidTtl(value)).toBe(Number.isFinite(value) && value > 0);
      }),
    );
  });
});
