import { afterEach, describe, expect, it } from 'vitest';

// Importing the SDK on a server (Node, SSR) must touch no browser global, and using it
// there must degrade to memory instead of throwing.
const BROWSER_GLOBALS = [
  'window',
  'document',
  'localStorage',
  'sessionStorage',
  'indexedDB',
  'navigator',
  'BroadcastChannel',
  'addEventListener',
] as const;

let restore: Array<() => void> = [];
afterEach(() => {
  for (const undo of restore) undo();
  restore = [];
});

/** Replaces each browser global with a getter that records its reads. */
function watchGlobals(): string[] {
  const touched: string[] = [];
  for (const name of BROWSER_GLOBALS) {
    const original = Object.getOwnPropertyDescriptor(globalThis, name);
    Object.defineProperty(globalThis, name, {
      configurable: true,
      get: () => {
        touched.push(name);
        return original && 'value' in original ? original.value : original?.get?.call(globalThis);
      },
    });
    restore.push(() => {
      if (original) Object.defineProperty(globalThis, name, original);
      else delete (globalThis as Record<string, unknown>)[name];
    });
  }
  return touched;
}

describe('server-side import', () => {
  it('importing the core entry touches no browser global', async () => {
    const touched = watchGlobals();
    const sdk = await import('strata-storage');
    expect(typeof sdk.Strata).toBe('function');
    expect(touched).toEqual([]);
  });

  it('importing the opt-in channel fallback touches no browser global', async () => {
    const touched = watchGlobals();
    const { broadcastChannelFallback } = await import('strata-storage/broadcast-channel');
    expect(typeof broadcastChannelFallback).toBe('function');
    expect(touched).toEqual([]);
  });

  it('constructing a Strata touches no browser global; ready() falls back to memory', async () => {
    const { Strata } = await import('strata-storage');
    const touched = watchGlobals();
    const strata = new Strata({
      namespace: 'ssr',
      defaultStorage: 'localStorage',
      fallbackStorage: 'sessionStorage',
    });
    expect(touched).toEqual([]);
    await strata.ready();
    expect(strata.storage).toBe('memory');
    await strata.set('greeting', 'hello');
    expect(await strata.get('greeting')).toBe('hello');
    await strata.close();
  });
});
