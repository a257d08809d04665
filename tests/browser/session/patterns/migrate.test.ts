import { afterEach, describe, expect, it } from 'vitest';
import { Strata, StrataError } from 'strata-storage';
import {
  mergeArrayBy,
  migrateGuestToUser,
  preferExisting,
  preferIncoming,
} from '../../../../src/session/migrate.js';
import { makeStrata, manualClock, rawDump } from '../../helpers.js';

interface CartItem {
  productId: string;
  quantity: number;
  name?: string;
}

const sumQuantities = mergeArrayBy<CartItem>('productId', (guest, existing) => ({
  ...existing,
  quantity: existing.quantity + guest.quantity,
}));
const MERGE = { cart: sumQuantities, theme: preferIncoming, preferences: preferExisting };

const open: Strata[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close().catch(() => undefined)));
});

function strataOn(namespace?: string, extra: ConstructorParameters<typeof Strata>[0] = {}): Strata {
  const { strata } = makeStrata({
    defaultStorage: 'localStorage',
    ...extra,
    ...(namespace ? { namespace } : {}),
  });
  open.push(strata);
  return strata;
}

/** A guest who shopped while the user already had a cart and preferences. */
async function seed(strata: Strata): Promise<void> {
  await strata.set('guest:cart', [
    { productId: 'p1', quantity: 2 },
    { productId: 'p3', quantity: 1, name: 'new' },
  ]);
  await strata.set('guest:preferences', { lang: 'fr' });
  await strata.set('guest:theme', 'dark');
  await strata.set('guest:recent', ['p1', 'p3']);
  await strata.set('user:u1:cart', [
    { productId: 'p1', quantity: 1 },
    { productId: 'p2', quantity: 5 },
  ]);
  await strata.set('user:u1:preferences', { lang: 'en' });
  await strata.set('user:u1:theme', 'light');
  await strata.set('other:key', 'untouched');
}

const EXPECTED = {
  'user:u1:cart': [
    { productId: 'p1', quantity: 3 },
    { productId: 'p2', quantity: 5 },
    { productId: 'p3', quantity: 1, name: 'new' },
  ],
  'user:u1:preferences': { lang: 'en' },
  'user:u1:theme': 'dark',
  'user:u1:recent': ['p1', 'p3'],
  'other:key': 'untouched',
};

async function snapshot(strata: Strata): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const key of await strata.keys()) out[key] = await strata.get(key);
  return out;
}

describe('migrateGuestToUser', () => {
  it('moves guest keys, merges the cart by productId, prefers existing / incoming as told', async () => {
    const strata = strataOn();
    await seed(strata);
    const result = await migrateGuestToUser(strata, 'u1', { merge: MERGE });
    expect(result.moved).toEqual(['recent']);
    expect([...result.merged].sort()).toEqual(['cart', 'preferences', 'theme']);
    expect(await snapshot(strata)).toEqual(EXPECTED);
  });

  it('keeps the user value for a key without merger (preferExisting is the default)', async () => {
    const strata = strataOn();
    await seed(strata);
    await migrateGuestToUser(strata, 'u1');
    expect(await strata.get('user:u1:theme')).toBe('light');
    expect(await strata.get('user:u1:cart')).toEqual([
      { productId: 'p1', quantity: 1 },
      { productId: 'p2', quantity: 5 },
    ]);
    expect(await strata.keys('guest:')).toEqual([]);
  });

  it('a second run moves nothing and changes nothing', async () => {
    const strata = strataOn();
    await seed(strata);
    await migrateGuestToUser(strata, 'u1', { merge: MERGE });
    const before = await snapshot(strata);
    expect(await migrateGuestToUser(strata, 'u1', { merge: MERGE })).toEqual({
      moved: [],
      merged: [],
    });
    expect(await snapshot(strata)).toEqual(before);
  });

  it('a merger throwing on the 3rd key changes nothing; a re-run completes', async () => {
    const strata = strataOn();
    await seed(strata);
    const before = await snapshot(strata);
    let calls = 0;
    const failing = () => {
      if (++calls === 3) throw new Error('merger bug');
      return 'x';
    };
    const error = await migrateGuestToUser(strata, 'u1', {
      defaultMerge: failing,
      merge: {},
    }).catch((e: unknown) => e);
    expect(calls).toBe(3);
    expect(error).toBeInstanceOf(StrataError);
    expect(error).toMatchObject({ code: 'INVALID_OPTIONS' });
    expect(await snapshot(strata)).toEqual(before);
    await migrateGuestToUser(strata, 'u1', { merge: MERGE });
    expect(await snapshot(strata)).toEqual(EXPECTED);
  });

  it('storage closing half-way through the writes loses nothing; the next run finishes without merging twice', async () => {
    const strata = strataOn();
    await seed(strata);
    let writes = 0;
    strata.subscribe('user:u1:', () => {
      if (++writes === 2) void strata.close(); // the page goes away after the 2nd target write
    });
    await expect(migrateGuestToUser(strata, 'u1', { merge: MERGE })).rejects.toMatchObject({
      code: 'CLOSED',
    });
    const reopened = strataOn(strata.namespace);
    // the guest data is all still there
    expect((await reopened.keys('guest:')).length).toBe(4);
    const result = await migrateGuestToUser(reopened, 'u1', { merge: MERGE });
    expect([...result.moved, ...result.merged].sort()).toEqual([
      'cart',
      'preferences',
      'recent',
      'theme',
    ]);
    expect(await snapshot(reopened)).toEqual(EXPECTED); // p1 quantity 3, not 4
  });

  it('a journal finished long after a crash overwrites no newer user data and removes no guest data it did not plan', async () => {
    const strata = strataOn();
    await seed(strata);
    let writes = 0;
    strata.subscribe('user:u1:', () => {
      if (++writes === 1) void strata.close(); // interrupted right after the cart was written
    });
    await expect(migrateGuestToUser(strata, 'u1', { merge: MERGE })).rejects.toMatchObject({
      code: 'CLOSED',
    });
    const later = strataOn(strata.namespace);
    // Days later: the user changed the cart elsewhere, the guest (signed out) saved new preferences.
    await later.set('user:u1:cart', [{ productId: 'p2', quantity: 7 }]);
    await later.set('guest:preferences', { lang: 'de' });
    await migrateGuestToUser(later, 'u1', { merge: MERGE });
    // The cart is merged afresh into the user's newer cart, not replaced by the old plan.
    expect(await later.get('user:u1:cart')).toEqual([
      { productId: 'p2', quantity: 7 },
      { productId: 'p1', quantity: 2 },
      { productId: 'p3', quantity: 1, name: 'new' },
    ]);
    expect(await later.get('user:u1:theme')).toBe('dark');
    expect(await later.get('user:u1:recent')).toEqual(['p1', 'p3']);
    expect(await later.get('user:u1:preferences')).toEqual({ lang: 'en' }); // preferExisting, with the new guest value
    expect(await later.keys('guest:')).toEqual([]);
  });

  it('a run for another user first finishes the interrupted run: the guest data is not copied to both', async () => {
    const strata = strataOn();
    await seed(strata);
    let writes = 0;
    strata.subscribe('user:u1:', () => {
      if (++writes === 2) void strata.close();
    });
    await expect(migrateGuestToUser(strata, 'u1', { merge: MERGE })).rejects.toMatchObject({
      code: 'CLOSED',
    });
    const later = strataOn(strata.namespace);
    const result = await migrateGuestToUser(later, 'u2', { merge: MERGE });
    expect(result).toEqual({ moved: [], merged: [] });
    expect(await later.keys('user:u2:')).toEqual([]);
    expect(await snapshot(later)).toEqual(EXPECTED);
  });

  it("keeps each item's encryption, sliding flag and time left: an encrypted guest item never lands in plaintext", async () => {
    const strata = strataOn(undefined, {
      encryption: { enabled: false, password: 'migrate-pw-123' },
    });
    await strata.set('guest:token', 'guest-secret-value', {
      encrypt: true,
      ttl: 60_000,
      sliding: true,
    });
    await strata.set('guest:plain', 'visible', { ttl: 30_000 });
    await strata.set('guest:note', 'merged-secret-note', { encrypt: true });
    await strata.set('user:u1:note', 'old note');
    await migrateGuestToUser(strata, 'u1', { merge: { note: preferIncoming } });
    expect(await strata.info('user:u1:token')).toMatchObject({
      encrypted: true,
      sliding: true,
      ttl: 60_000,
      layer: 'localStorage',
    });
    expect(await strata.info('user:u1:plain')).toMatchObject({ encrypted: false, sliding: false });
    expect((await strata.info('user:u1:plain'))?.expiresIn).toBeGreaterThan(29_000);
    expect(await strata.info('user:u1:note')).toMatchObject({
      encrypted: true,
      sliding: false,
      ttl: null,
      expiresIn: null,
    });
    expect(await strata.get('user:u1:token')).toBe('guest-secret-value');
    const raw = await rawDump(strata.namespace);
    for (const secret of ['guest-secret-value', 'merged-secret-note'])
      expect(raw).not.toContain(secret);
    expect(await strata.info('guest:token')).toBeNull();
  });

  it('migrates encrypted storage: values stay encrypted at rest and readable after a reload', async () => {
    const strata = strataOn(undefined, { encryption: { enabled: true } });
    await seed(strata);
    await migrateGuestToUser(strata, 'u1', { merge: MERGE });
    expect(await snapshot(strata)).toEqual(EXPECTED);
    const raw = await rawDump(strata.namespace);
    expect(raw).toContain('user:u1:cart');
    for (const secret of ['productId', '"new"', 'dark', 'lang']) expect(raw).not.toContain(secret);
    const reloaded = strataOn(strata.namespace, { encryption: { enabled: true } });
    expect(await reloaded.get('user:u1:cart')).toEqual(EXPECTED['user:u1:cart']);
  });

  it('keeps the time left of moved items and of the user item it merged into; tags as given', async () => {
    const clock = manualClock();
    const strata = strataOn(undefined, { clock: clock.now });
    await strata.set('guest:recent', ['p1'], { ttl: 60 * 60_000 });
    await strata.set('guest:cart', [{ productId: 'p1', quantity: 1 }], { ttl: 60 * 60_000 });
    await strata.set('user:u1:cart', [{ productId: 'p2', quantity: 1 }], { ttl: 10 * 60_000 });
    clock.advance(5 * 60_000);
    await migrateGuestToUser(strata, 'u1', { merge: MERGE, tags: ['user-data'] });
    expect(await strata.getTTL('user:u1:recent')).toBe(55 * 60_000);
    expect(await strata.getTTL('user:u1:cart')).toBe(5 * 60_000);
    await strata.clear({ tags: ['user-data'] });
    expect(await strata.keys('user:u1:')).toEqual([]);
  });

  it("keeps each item's tags, hashed ones included, and a merged item carries the tags of both", async () => {
    const strata = strataOn(undefined, {
      encryption: { enabled: false, password: 'migrate-tags-pw' },
    });
    await strata.set('guest:recent', ['p1'], { tags: ['browsing'] });
    await strata.set('guest:card', 'guest-card-secret', { encrypt: true, tags: ['payment'] });
    await strata.set('guest:cart', [{ productId: 'p1', quantity: 1 }], { tags: ['shopping'] });
    await strata.set('user:u1:cart', [{ productId: 'p2', quantity: 1 }], {
      encrypt: true,
      tags: ['account'],
    });
    await strata.set('user:u1:other', 'untouched', { tags: ['unrelated'] });
    await migrateGuestToUser(strata, 'u1', { merge: MERGE, tags: ['migrated'] });
    expect(await strata.info('user:u1:cart')).toMatchObject({ encrypted: true });
    const raw = await rawDump(strata.namespace);
    for (const hiddenTag of ['payment', 'shopping', 'account'])
      expect(raw).not.toContain(hiddenTag); // hashed on encrypted items
    // Each clear finds the migrated items by the tags they had before, encrypted or not.
    await strata.clear({ tags: ['browsing'] });
    expect(await strata.keys('user:u1:')).toEqual([
      'user:u1:card',
      'user:u1:cart',
      'user:u1:other',
    ]);
    expect(await strata.get('user:u1:cart')).toEqual([
      { productId: 'p2', quantity: 1 },
      { productId: 'p1', quantity: 1 },
    ]);
    await strata.clear({ tags: ['account'] }); // the user's own tag, still on the merged (encrypted) cart
    expect(await strata.keys('user:u1:')).toEqual(['user:u1:card', 'user:u1:other']);
    await strata.set('user:u1:cart', [], { encrypt: true, tags: ['account'] });
    await strata.set('guest:cart', [{ productId: 'p4', quantity: 1 }], { tags: ['shopping'] });
    await migrateGuestToUser(strata, 'u1', { merge: MERGE });
    await strata.clear({ tags: ['shopping'] }); // the guest's tag, now on the merged (encrypted) cart too
    expect(await strata.keys('user:u1:')).toEqual(['user:u1:card', 'user:u1:other']);
    await strata.clear({ tags: ['payment'] });
    expect(await strata.keys('user:u1:')).toEqual(['user:u1:other']);
    await strata.remove('user:u1:other');
    await strata.set('guest:x', 1, { tags: ['guest-only'] });
    await strata.set('user:u1:x', 2, { tags: ['own'] });
    await migrateGuestToUser(strata, 'u1'); // preferExisting: the user's value stays, without the guest's tags
    await strata.clear({ tags: ['guest-only'] });
    expect(await strata.get('user:u1:x')).toBe(2);
    await strata.clear({ tags: ['own'] });
    expect(await strata.keys('user:u1:')).toEqual([]);
    await strata.set('guest:y', 1);
    await migrateGuestToUser(strata, 'u1', { tags: ['migrated'] });
    await strata.clear({ tags: ['migrated'] });
    expect(await strata.keys('user:u1:')).toEqual([]);
  });

  it('an encrypted guest item merged into a clear user item stays encrypted with its tags; with encrypt: false its hashed tags are dropped', async () => {
    const strata = strataOn(undefined, {
      encryption: { enabled: false, password: 'migrate-tags-pw' },
    });
    await strata.set('guest:note', 'guest-note-secret', { encrypt: true, tags: ['notes'] });
    await strata.set('user:u1:note', 'old', { tags: ['mine'] });
    await migrateGuestToUser(strata, 'u1', { merge: { note: preferIncoming } });
    expect(await strata.info('user:u1:note')).toMatchObject({ encrypted: true });
    expect(await rawDump(strata.namespace)).not.toContain('mine'); // the user's clear tag is hashed now
    await strata.clear({ tags: ['notes'] });
    expect(await strata.keys('user:u1:')).toEqual([]);
    await strata.set('guest:note', 'guest-note-secret', { encrypt: true, tags: ['notes'] });
    await migrateGuestToUser(strata, 'u1', { encrypt: false, tags: ['migrated'] });
    expect(await strata.info('user:u1:note')).toMatchObject({ encrypted: false });
    await strata.clear({ tags: ['notes'] });
    expect(await strata.get('user:u1:note')).toBe('guest-note-secret');
    await strata.clear({ tags: ['migrated'] });
    expect(await strata.keys('user:u1:')).toEqual([]);
  });

  it('honours custom prefixes', async () => {
    const strata = strataOn();
    await strata.set('anon/cart', [{ productId: 'p1', quantity: 1 }]);
    const result = await migrateGuestToUser(strata, 'bob', {
      from: 'anon/',
      to: (id) => `acct/${id}/`,
    });
    expect(result).toEqual({ moved: ['cart'], merged: [] });
    expect(await strata.get('acct/bob/cart')).toEqual([{ productId: 'p1', quantity: 1 }]);
  });

  it('refuses an invalid userId or prefixes with INVALID_OPTIONS, changing nothing', async () => {
    const strata = strataOn();
    await seed(strata);
    const before = await snapshot(strata);
    for (const bad of ['', '  ', ' u1', 'u\n1', 42, null, undefined]) {
      await expect(migrateGuestToUser(strata, bad as string)).rejects.toMatchObject({
        code: 'INVALID_OPTIONS',
      });
    }
    await expect(
      migrateGuestToUser(strata, 'u1', { to: (id) => `guest:${id}:` }),
    ).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    await expect(migrateGuestToUser(strata, 'u1', { from: '' })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    });
    await expect(
      migrateGuestToUser(strata, 'u1', { merge: { cart: () => undefined } }),
    ).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    expect(await snapshot(strata)).toEqual(before);
  });
});

describe('ready-made mergers', () => {
  it('mergeArrayBy combines duplicates (also within the guest list), appends new and id-less items', () => {
    const merge = mergeArrayBy<CartItem>('productId', (g, e) => ({
      ...e,
      quantity: e.quantity + g.quantity,
    }));
    const guest = [
      { productId: 'a', quantity: 1 },
      { productId: 'b', quantity: 2 },
      { productId: 'b', quantity: 3 },
      { quantity: 9 } as CartItem,
    ];
    expect(merge(guest, [{ productId: 'a', quantity: 10 }])).toEqual([
      { productId: 'a', quantity: 11 },
      { productId: 'b', quantity: 5 },
      { quantity: 9 },
    ]);
    expect(merge(guest.slice(0, 1), null)).toEqual([{ productId: 'a', quantity: 1 }]);
    expect(
      mergeArrayBy<CartItem>('productId')(
        [{ productId: 'a', quantity: 1 }],
        [{ productId: 'a', quantity: 7 }],
      ),
    ).toEqual([{ productId: 'a', quantity: 7 }]);
    expect(() => merge('nope', [])).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
  });

  it('preferExisting and preferIncoming pick a side', () => {
    expect(preferExisting('guest', 'user')).toBe('user');
    expect(preferIncoming('guest', 'user')).toBe('guest');
  });
});
