import { afterEach, describe, expect, it } from 'vitest';
import { Strata, StrataError } from 'strata-storage';
import { createSessionId, SessionManager } from '../../../../src/session/session-manager.js';
import { makeStrata, manualClock } from '../../helpers.js';

const ID = /^sess_[A-Za-z0-9_-]{22}$/;
const open: Strata[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

function strataOn(namespace?: string, clock?: () => number): Strata {
  const { strata } = makeStrata({
    defaultStorage: 'localStorage',
    ...(namespace ? { namespace } : {}),
    ...(clock ? { clock } : {}),
  });
  open.push(strata);
  return strata;
}

function decode(id: string): Uint8Array {
  const base64 = id.slice(5).replace(/-/g, '+').replace(/_/g, '/') + '==';
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

describe('SessionManager', () => {
  it("makes 'sess_' + 128 random bits, never repeating, every bit varying", () => {
    const ids = Array.from({ length: 256 }, () => createSessionId());
    for (const id of ids) expect(id).toMatch(ID);
    expect(new Set(ids).size).toBe(ids.length);
    const bytes = ids.map(decode);
    for (const b of bytes) expect(b.length).toBe(16);
    // each of the 128 bit positions is 1 in some ids and 0 in others (a constant or timestamp part would not be)
    for (let bit = 0; bit < 128; bit++) {
      const ones = bytes.filter((b) => ((b[bit >> 3] as number) >> (bit & 7)) & 1).length;
      expect(ones).toBeGreaterThan(64);
      expect(ones).toBeLessThan(192);
    }
  });

  it('creates the id once and reuses it across calls, managers and a reload', async () => {
    const strata = strataOn();
    const manager = new SessionManager(strata);
    const id = await manager.id();
    expect(id).toMatch(ID);
    expect(await manager.id()).toBe(id);
    expect(await new SessionManager(strata).id()).toBe(id);
    const reloaded = strataOn(strata.namespace);
    expect(await new SessionManager(reloaded).id()).toBe(id);
    expect(await strata.get('session:id')).toBe(id);
  });

  it('gives one id to many concurrent first calls, in one instance and across two instances of the namespace', async () => {
    const a = strataOn();
    const b = strataOn(a.namespace);
    const managers = [new SessionManager(a), new SessionManager(a), new SessionManager(b)];
    const ids = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (managers[i % 3] as SessionManager).id()),
    );
    expect(new Set(ids).size).toBe(1);
    expect(await a.get('session:id')).toBe(ids[0]);
  });

  it('namespaces data under the id and keeps other sessions and keys apart', async () => {
    const strata = strataOn();
    const manager = new SessionManager(strata);
    const other = new SessionManager(strata, { keyPrefix: 'other:' });
    await manager.setSessionData('cart', [{ productId: 'p1', quantity: 2 }]);
    await other.setSessionData('cart', ['other']);
    await strata.set('unrelated', 1);
    const id = await manager.id();
    expect(await strata.get(`session:${id}:cart`)).toEqual([{ productId: 'p1', quantity: 2 }]);
    expect(await manager.getSessionData('cart')).toEqual([{ productId: 'p1', quantity: 2 }]);
    expect(await other.getSessionData('cart')).toEqual(['other']);
    expect(await other.id()).not.toBe(id);
    expect(await manager.sessionKeys()).toEqual(['cart']);
    expect(await manager.getSessionData('missing')).toBeNull();
  });

  it('clearSession removes every item of the session, keeps the rest, and the next id is new', async () => {
    const strata = strataOn();
    const manager = new SessionManager(strata);
    const other = new SessionManager(strata, { keyPrefix: 'other:' });
    const first = await manager.id();
    await manager.setSessionData('a', 1);
    await manager.setSessionData('b', { nested: true });
    await other.setSessionData('a', 'kept');
    await strata.set('unrelated', 'kept');
    await manager.clearSession();
    expect(await strata.keys(`session:${first}:`)).toEqual([]);
    expect(await strata.get('session:id')).toBeNull();
    expect(await other.getSessionData('a')).toBe('kept');
    expect(await strata.get('unrelated')).toBe('kept');
    const second = await manager.id();
    expect(second).toMatch(ID);
    expect(second).not.toBe(first);
    expect(await manager.getSessionData('a')).toBeNull();
  });

  it('expires the id and data after ttl without activity, and slides while used', async () => {
    const clock = manualClock();
    const strata = strataOn(undefined, clock.now);
    const manager = new SessionManager(strata, { ttl: 30 * 60_000 });
    const id = await manager.id();
    await manager.setSessionData('step', 2);
    clock.advance(20 * 60_000);
    expect(await manager.getSessionData('step')).toBe(2); // reads the id and the data: both slide
    clock.advance(20 * 60_000);
    expect(await manager.id()).toBe(id);
    expect(await manager.getSessionData('step')).toBe(2);
    clock.advance(31 * 60_000);
    const next = await manager.id();
    expect(next).not.toBe(id);
    expect(await manager.getSessionData('step')).toBeNull();
  });

  it('refuses bad keys and options with typed errors', async () => {
    const strata = strataOn();
    const manager = new SessionManager(strata);
    await expect(manager.setSessionData('', 1)).rejects.toMatchObject({ code: 'INVALID_KEY' });
    await expect(manager.getSessionData(42 as unknown as string)).rejects.toBeInstanceOf(
      StrataError,
    );
    expect(() => new SessionManager(strata, { ttl: -1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
    expect(() => new SessionManager(strata, { keyPrefix: '' })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
    expect(() => new SessionManager({} as Strata)).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
  });
});
