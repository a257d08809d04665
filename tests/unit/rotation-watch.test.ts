import { afterEach, describe, expect, it, vi } from 'vitest';
import { RotationWatch } from '../../src/crypto/rotation-watch.js';
import type { StrataError } from '../../src/errors.js';
import type { StoreContext } from '../../src/store-context.js';
import { platformTimers } from '../../src/timers.js';

/** A watch over `answers` (what each metadata check shows, in turn), and what it reported. */
function watching(answers: Array<number | 'behind' | undefined>) {
  const reported: StrataError[] = [];
  const ctx = { timers: platformTimers, report: (error: StrataError) => reported.push(error) };
  let checks = 0;
  const check = async () => answers[Math.min(checks++, answers.length - 1)];
  const watch = new RotationWatch(ctx as unknown as StoreContext, check);
  return { watch, reported, checks: () => checks };
}

describe('RotationWatch: telling this tab of another tab’s rotation once the metadata shows it', () => {
  afterEach(() => vi.useRealTimers());

  it('a hint the metadata confirms late is checked again each lag window, then told once', async () => {
    vi.useFakeTimers();
    const { watch, reported, checks } = watching([undefined, undefined, 2]);
    await watch.hinted();
    expect(reported).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(checks()).toBe(2);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(reported.map((e) => e.code)).toEqual(['KEY_ROTATED']);
    expect(reported[0]?.message).toMatch(/generation 2/);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a hint never confirmed (forged) stops after three checks and tells nothing', async () => {
    vi.useFakeTimers();
    const { watch, reported, checks } = watching([undefined]);
    await watch.hinted();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(checks()).toBe(3);
    expect(reported).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('already known to be behind: no check again; confirmed at once with report off: not told twice', async () => {
    vi.useFakeTimers();
    const known = watching(['behind']);
    await known.watch.hinted();
    expect(vi.getTimerCount()).toBe(0);
    const quiet = watching([3]);
    await quiet.watch.hinted(false); // the caller fails with KEY_ROTATED itself
    expect(quiet.reported).toEqual([]);
  });

  it('close() cancels the check due', async () => {
    vi.useFakeTimers();
    const { watch, checks } = watching([undefined]);
    await watch.hinted();
    watch.close();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(checks()).toBe(1);
  });
});
