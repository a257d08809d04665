import { describe, expect, it, vi } from 'vitest';
import type { StorageChange } from 'strata-storage';
import { handTimers, makeStrata } from '../helpers.js';

describe('what subscribers are told converges on what the store holds', () => {
  it('a write that landed last in localStorage but was heard first is told again once writes settle', async () => {
    // a's clock runs 10 s behind b's, so b's write wins by stamp while a's lands last in the store.
    const timers = handTimers(Date.now() - 10_000);
    const { strata: a, namespace } = makeStrata({
      defaultStorage: 'localStorage',
      sync: { enabled: true },
      timers,
      clock: timers.now,
    });
    const { strata: b } = makeStrata({
      namespace,
      defaultStorage: 'localStorage',
      sync: { enabled: true },
    });
    await Promise.all([a.ready(), b.ready()]);
    const heard: StorageChange[] = [];
    a.subscribe('k', (change) => heard.push(change));

    await b.set('k', 'from b');
    await a.set('k', 'from a'); // before b's message reaches a: a's write is the last one stored
    await vi.waitFor(() =>
      expect(heard.at(-1)).toMatchObject({ newValue: 'from b', source: 'remote' }),
    );
    expect(localStorage.getItem(`${encodeURIComponent(namespace)}:k`)).toContain('"from a"');

    // Settle checks, a lag window apart: the stored value must stay the same over three of them.
    await vi.waitFor(() => {
      timers.advance(1_000);
      expect(heard.at(-1)).toEqual({
        key: 'k',
        oldValue: 'from b',
        newValue: 'from a',
        source: 'remote',
      });
    });
    expect(await a.get('k')).toBe('from a');
    expect(await b.get('k')).toBe('from a');
    await Promise.all([a.close(), b.close()]);
  });

  it('a remote change that the store agrees with is not told twice', async () => {
    const timers = handTimers();
    const { strata: a, namespace } = makeStrata({
      defaultStorage: 'localStorage',
      sync: { enabled: true },
      timers,
    });
    const { strata: b } = makeStrata({
      namespace,
      defaultStorage: 'localStorage',
      sync: { enabled: true },
    });
    await Promise.all([a.ready(), b.ready()]);
    const heard: unknown[] = [];
    a.subscribe('k', (change) => heard.push(change.newValue));
    await b.set('k', 1);
    await vi.waitFor(() => expect(heard).toEqual([1]));
    await b.remove('k');
    await vi.waitFor(() => expect(heard).toEqual([1, null]));
    timers.advance(1_000);
    // The settle check runs in the queue of remote changes: one more change from b marks it done.
    await b.set('other', 0);
    await vi.waitFor(async () => expect(await a.get('other')).toBe(0));
    expect(heard).toEqual([1, null]);
    await Promise.all([a.close(), b.close()]);
  });
});
