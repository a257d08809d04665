import { describe, expect, it } from 'vitest';
import { makeStrata, manualClock } from '../helpers.js';

describe('clock jumps (injected clock)', () => {
  it('forward: items past their expiry read as null, are swept, and a sliding item does not slide back to life', async () => {
    const clock = manualClock();
    const { strata } = makeStrata({ clock: clock.now, ttl: { cleanupInterval: 0 } });
    await strata.set('fixed', 1, { ttl: 60_000 });
    await strata.set('sliding', 2, { ttl: 60_000, sliding: true });
    await strata.set('forever', 3);
    clock.advance(24 * 3_600_000);
    expect(await strata.get('sliding')).toBeNull();
    expect(await strata.has('fixed')).toBe(false);
    expect(await strata.keys()).toEqual(['forever']);
    await strata.sweep();
    expect(await strata.getTTL('fixed')).toBeNull();
    expect(await strata.get('forever')).toBe(3);
    await strata.close();
  });

  it('backward: a later write still wins, and items do not expire early', async () => {
    const clock = manualClock();
    const { strata } = makeStrata({ clock: clock.now, ttl: { cleanupInterval: 0 } });
    await strata.set('k', 'v1', { ttl: 60_000 });
    clock.advance(-3_600_000);
    await strata.set('k', 'v2', { ttl: 60_000 });
    expect(await strata.get('k')).toBe('v2');
    await strata.set('old', 'x', { ttl: 1_000 });
    clock.advance(-10_000);
    expect(await strata.get('old')).toBe('x');
    expect(await strata.getTTL('old')).toBeGreaterThan(0);
    clock.advance(10_000 + 1_000);
    expect(await strata.get('old')).toBeNull();
    await strata.close();
  });

  it('back and forth around a sliding expiry: never negative, never resurrected', async () => {
    const clock = manualClock();
    const { strata } = makeStrata({ clock: clock.now, ttl: { cleanupInterval: 0 } });
    await strata.set('s', 1, { ttl: 10_000, sliding: true });
    for (const step of [5_000, -20_000, 9_000, 3_000, -1_000, 8_000]) {
      clock.advance(step);
      const ttl = await strata.getTTL('s');
      if (ttl !== null) expect(ttl).toBeGreaterThanOrEqual(0);
      await strata.get('s');
    }
    clock.advance(60_000);
    expect(await strata.get('s')).toBeNull();
    clock.advance(-60_000);
    expect(await strata.get('s')).toBeNull(); // removed when found expired: a clock going back does not bring it back
    await strata.close();
  });
});
