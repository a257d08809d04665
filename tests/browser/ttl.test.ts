import { describe, expect, it, vi } from 'vitest';
import type { StorageChange, StorageKind } from 'strata-storage';
import { makeStrata, manualClock } from './helpers.js';

const MIN = 60_000;

describe.each(['localStorage', 'indexedDB', 'memory', 'sessionStorage'] as StorageKind[])(
  'TTL on %s',
  (kind) => {
    it('expires an item ttl ms after it was set', async () => {
      const clock = manualClock();
      const { strata } = makeStrata({
        defaultStorage: kind,
        clock: clock.now,
        ttl: { cleanupInterval: 0 },
      });
      await strata.set('k', 'v', { ttl: 10 * MIN });
      clock.advance(10 * MIN - 1);
      expect(await strata.get('k')).toBe('v');
      clock.advance(1);
      expect(await strata.get('k')).toBeNull();
      await strata.close();
    });

    it('expired items are invisible to has() and keys()', async () => {
      const clock = manualClock();
      const { strata } = makeStrata({
        defaultStorage: kind,
        clock: clock.now,
        ttl: { cleanupInterval: 0 },
      });
      await strata.set('session:short', 1, { ttl: MIN });
      await strata.set('session:long', 2, { ttl: 60 * MIN });
      await strata.set('session:forever', 3);
      clock.advance(2 * MIN);
      expect(await strata.has('session:short')).toBe(false);
      expect(await strata.keys('session:')).toEqual(['session:forever', 'session:long']);
      await strata.close();
    });

    it('sliding: each read pushes the expiry to now + ttl', async () => {
      const clock = manualClock();
      const { strata } = makeStrata({
        defaultStorage: kind,
        clock: clock.now,
        ttl: { cleanupInterval: 0 },
      });
      await strata.set('s', 'alive', { ttl: 30 * MIN, sliding: true });
      for (let i = 0; i < 5; i++) {
        clock.advance(20 * MIN);
        expect(await strata.get('s')).toBe('alive');
        expect(await strata.getTTL('s')).toBe(30 * MIN);
      }
      clock.advance(30 * MIN);
      expect(await strata.get('s')).toBeNull();
      await strata.close();
    });

    it('sliding reads of a hot key do not rewrite storage on every read', async () => {
      const clock = manualClock();
      const { strata } = makeStrata({
        defaultStorage: kind,
        clock: clock.now,
        ttl: { cleanupInterval: 0 },
      });
      await strata.set('hot', 1, { ttl: 30 * MIN, sliding: true });
      const before = await strata.getTTL('hot');
      for (let i = 0; i < 50; i++) {
        clock.advance(10);
        await strata.get('hot');
      }
      // 500 ms of reads is under the rewrite threshold: the stored expiry did not move.
      expect(await strata.getTTL('hot')).toBe((before ?? 0) - 500);
      await strata.close();
    });

    it('applies ttl.default and ttl.sliding to items set without options', async () => {
      const clock = manualClock();
      const { strata } = makeStrata({
        defaultStorage: kind,
        clock: clock.now,
        ttl: { default: 5 * MIN, sliding: true, cleanupInterval: 0 },
      });
      await strata.set('d', 1);
      expect(await strata.getTTL('d')).toBe(5 * MIN);
      clock.advance(4 * MIN);
      await strata.get('d');
      expect(await strata.getTTL('d')).toBe(5 * MIN);
      await strata.close();
    });

    it('getTTL is null without expiry or when missing; extendTTL sets now + ms', async () => {
      const clock = manualClock();
      const { strata } = makeStrata({
        defaultStorage: kind,
        clock: clock.now,
        ttl: { cleanupInterval: 0 },
      });
      await strata.set('none', 1);
      expect(await strata.getTTL('none')).toBeNull();
      expect(await strata.getTTL('missing')).toBeNull();
      expect(await strata.extendTTL('missing', MIN)).toBe(false);
      await strata.set('t', 1, { ttl: MIN });
      clock.advance(30_000);
      expect(await strata.extendTTL('t', 10 * MIN)).toBe(true);
      expect(await strata.getTTL('t')).toBe(10 * MIN);
      expect(await strata.extendTTL('none', MIN)).toBe(true);
      expect(await strata.getTTL('none')).toBe(MIN);
      await strata.close();
    });

    it('set with sliding and no ttl keeps the TTL the item had (the seed pattern)', async () => {
      const clock = manualClock();
      const { strata } = makeStrata({
        defaultStorage: kind,
        clock: clock.now,
        ttl: { cleanupInterval: 0 },
      });
      await strata.set('session', { n: 1 }, { ttl: 24 * 60 * MIN, sliding: true });
      clock.advance(MIN);
      await strata.set('session', { n: 2 }, { sliding: true });
      expect(await strata.getTTL('session')).toBe(24 * 60 * MIN);
      await strata.close();
    });

    it('the sweeper deletes expired items from storage and tells subscribers', async () => {
      const clock = manualClock();
      const { strata } = makeStrata({
        defaultStorage: kind,
        clock: clock.now,
        ttl: { cleanupInterval: 0 },
      });
      const seen: StorageChange[] = [];
      strata.subscribe('', (change) => seen.push(change));
      await strata.set('a', 1, { ttl: MIN });
      await strata.set('b', 2, { ttl: 10 * MIN });
      clock.advance(2 * MIN);
      expect(await strata.sweep()).toBe(1);
      expect(seen.at(-1)).toEqual({ key: 'a', oldValue: null, newValue: null, source: 'local' });
      clock.set(clock.now() - 10 * MIN); // the clock jumps back: b was never expired, a stays gone
      expect(await strata.get('a')).toBeNull();
      expect(await strata.get('b')).toBe(2);
      await strata.close();
    });
  },
);

describe('TTL sweeper timer', () => {
  it('runs on its own every cleanupInterval', async () => {
    const { strata } = makeStrata({ defaultStorage: 'localStorage', ttl: { cleanupInterval: 50 } });
    const removed: string[] = [];
    strata.subscribe('', (change) => change.newValue === null && removed.push(change.key));
    await strata.set('gone', 1, { ttl: 20 });
    await vi.waitFor(() => expect(removed).toContain('gone'), { timeout: 5_000 });
    await strata.close();
  });
});

describe('TTL and a wall clock that was wrong', () => {
  /** A wall clock and a monotonic clock the test moves (the monotonic one is nobody's to set). */
  function clocks(wall: number) {
    const t = { wall, mono: 1_000 };
    return {
      t,
      options: { clock: () => t.wall, timers: { now: () => t.wall, monotonic: () => t.mono } },
    };
  }

  it('an item set while the clock was a day ahead expires ttl after it was set, in the page that set it', async () => {
    const day = 24 * 3600_000;
    const { t, options } = clocks(Date.now() + day);
    const { strata, namespace } = makeStrata({ defaultStorage: 'localStorage', ...options });
    await strata.set('token', 'x', { ttl: 60_000 });
    t.wall -= day; // the clock is corrected
    t.mono += 30_000;
    expect(await strata.get('token')).toBe('x');
    expect(await strata.getTTL('token')).toBe(30_000);
    t.mono += 30_000; // ttl elapsed since the set, by the clock nobody can set
    expect(await strata.has('token')).toBe(false);
    expect(await strata.keys()).toEqual([]);
    expect(await strata.get('token')).toBeNull();
    // Another page (no memory of when it was set) follows the wall clock, as documented.
    const { strata: other } = makeStrata({
      namespace,
      defaultStorage: 'localStorage',
      clock: () => t.wall,
    });
    expect(await other.get('token')).toBeNull(); // the read above swept it
    await Promise.all([strata.close(), other.close()]);
  });

  it('a clock set back after the set does not stretch the ttl; a sliding read restarts it on both clocks', async () => {
    const { t, options } = clocks(Date.now());
    const { strata } = makeStrata({ defaultStorage: 'memory', ...options });
    await strata.set('s', 1, { ttl: 10_000, sliding: true });
    t.wall -= 3600_000; // set back an hour
    t.mono += 8_000;
    expect(await strata.get('s')).toBe(1); // slides: 10 s from now on both clocks
    t.mono += 8_000;
    expect(await strata.get('s')).toBe(1);
    t.mono += 10_001;
    expect(await strata.get('s')).toBeNull();
    await strata.close();
  });
});
