import { describe, expect, it } from 'vitest';
import { ReadCache } from '../../src/read-cache.js';
import type { CachedRead } from '../../src/record-cache.js';

const entry = (u: number, text: string): CachedRead => ({
  record: { v: 2, u, w: 'writer', p: text },
  layer: { index: 0, kind: 'memory' },
  text,
});

describe('ReadCache', () => {
  it('a read begun before a write never overwrites the write it missed', () => {
    const cache = new ReadCache(10);
    const ticket = cache.ticket('k'); // a slow read (a decrypt) starts
    cache.set('k', entry(2, 'new')); // a local set lands meanwhile
    cache.fill('k', ticket, entry(1, 'old')); // the read finishes with what it found
    expect(cache.peek('k')?.text).toBe('new');
  });

  it('a read with a current ticket is kept; one begun before an invalidation is dropped', () => {
    const cache = new ReadCache(10);
    cache.fill('k', cache.ticket('k'), entry(1, 'read'));
    expect(cache.peek('k')?.text).toBe('read');
    const ticket = cache.ticket('k');
    cache.invalidate('k');
    cache.fill('k', ticket, entry(1, 'stale'));
    expect(cache.peek('k')).toBeUndefined();
  });
});
