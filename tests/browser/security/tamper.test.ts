import { afterEach, describe, expect, it } from 'vitest';
import { Strata, type StorageKind, type StrataError } from 'strata-storage';
import { makeStrata, manualClock, uniqueNamespace } from '../helpers.js';
import { readRaw, writeRaw, type RawRecord } from './raw-edit.js';

// An attacker with raw access to the browser's storage (devtools, an extension, a disk
// edit) changes an encrypted record's header or puts a clear record in its place.

const open: Strata[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

const PASSWORD = 'tamper-test-password';
const clock = manualClock();

function strataOn(kind: StorageKind, namespace: string): ReturnType<typeof makeStrata> {
  const made = makeStrata({
    namespace,
    defaultStorage: kind,
    encryption: { enabled: true, password: PASSWORD },
    timers: { now: clock.now },
    ttl: { cleanupInterval: 0 },
  });
  open.push(made.strata);
  return made;
}

async function edit(
  kind: StorageKind,
  namespace: string,
  key: string,
  change: (record: RawRecord) => RawRecord,
): Promise<void> {
  const record = await readRaw(kind, namespace, key);
  expect(record?.x).toBe(1);
  await writeRaw(kind, namespace, key, change(record as RawRecord));
}

const KINDS: StorageKind[] = ['localStorage', 'sessionStorage', 'indexedDB', 'secure'];

describe.each(KINDS)('a tampered record on %s', (kind) => {
  it('an expiry moved to 2100 is not served, not extended, not listed as live, and reported', async () => {
    const namespace = uniqueNamespace('tamper-expiry');
    const { strata, errors } = strataOn(kind, namespace);
    await strata.set('session', { user: 'ada' }, { ttl: 60_000 });
    await edit(kind, namespace, 'session', (record) => ({ ...record, e: 4_102_444_800_000 }));
    clock.advance(120_000);
    const reader = strataOn(kind, namespace);
    expect(await reader.strata.get('session')).toBeNull();
    expect(await reader.strata.has('session')).toBe(false);
    expect(await reader.strata.getTTL('session')).toBeNull();
    expect(await reader.strata.extendTTL('session', 60_000)).toBe(false);
    expect(reader.errors.map((e) => e.code)).toContain('DECRYPT_FAILED');
    expect(errors).toEqual([]);
    // Left in place, not re-sealed: a restored header opens again.
    expect((await readRaw(kind, namespace, 'session'))?.e).toBe(4_102_444_800_000);
  });

  it('a sliding flag, ttl or write stamp changed makes the record unreadable', async () => {
    const namespace = uniqueNamespace('tamper-header');
    const { strata } = strataOn(kind, namespace);
    for (const key of ['s', 't', 'u']) await strata.set(key, key, { ttl: 60_000 });
    await edit(kind, namespace, 's', (record) => ({ ...record, s: 1 }));
    await edit(kind, namespace, 't', (record) => ({ ...record, t: 9_999_999 }));
    await edit(kind, namespace, 'u', (record) => ({ ...record, u: record.u + 1 }));
    const reader = strataOn(kind, namespace);
    expect(await Promise.all(['s', 't', 'u'].map((key) => reader.strata.get(key)))).toEqual([
      null,
      null,
      null,
    ]);
    expect(reader.errors.filter((e) => e.code === 'DECRYPT_FAILED')).toHaveLength(3);
  });

  it('tags cannot be stripped: they are inside the ciphertext, and a tag clear at logout still removes the item', async () => {
    const namespace = uniqueNamespace('tamper-tags');
    const { strata } = strataOn(kind, namespace);
    await strata.set('refresh', 'rt-secret', { tags: ['auth'] });
    await strata.set('prefs', 'dark', { tags: ['ui'] });
    const raw = await readRaw(kind, namespace, 'refresh');
    expect(raw?.g).toBeUndefined();
    expect(JSON.stringify(raw)).not.toContain('auth');
    await strata.clear({ tags: ['auth'] });
    expect(await readRaw(kind, namespace, 'refresh')).toBeUndefined();
    expect(await strata.get('prefs')).toBe('dark');
  });

  it('a tampered record is not kept by a tag clear', async () => {
    const namespace = uniqueNamespace('tamper-clear');
    const { strata, errors } = strataOn(kind, namespace);
    await strata.set('refresh', 'rt-secret', { tags: ['auth'], ttl: 60_000 });
    await strata.set('prefs', 'dark', { tags: ['ui'] });
    await edit(kind, namespace, 'refresh', (record) => ({ ...record, e: 4_102_444_800_000 }));
    await strata.clear({ tags: ['auth'] });
    expect(await readRaw(kind, namespace, 'refresh')).toBeUndefined();
    expect(await strata.get('prefs')).toBe('dark');
    expect(errors.map((e) => e.code)).toContain('DECRYPT_FAILED');
  });

  it('a clear record written over an encrypted item is refused, never served', async () => {
    const namespace = uniqueNamespace('downgrade');
    const { strata } = strataOn(kind, namespace);
    await strata.set('session', { roles: ['user'] });
    const sealed = (await readRaw(kind, namespace, 'session')) as RawRecord;
    const forged: RawRecord = {
      v: sealed.v,
      u: sealed.u + 1,
      w: sealed.w,
      p: '{"roles":["admin"]}',
    };
    await writeRaw(kind, namespace, 'session', forged);
    const reader = strataOn(kind, namespace);
    expect(await reader.strata.get('session')).toBeNull();
    expect(await reader.strata.has('session')).toBe(false);
    expect(reader.errors.map((e) => e.code)).toContain('DECRYPT_FAILED');
  });
});

describe('downgrade in the secure layer without a password', () => {
  it('a forged clear record in the secure layer is refused even in a namespace with no encryption option', async () => {
    const namespace = uniqueNamespace('downgrade-secure');
    const errors: StrataError[] = [];
    const strata = new Strata({
      namespace,
      defaultStorage: 'secure',
      onError: (error) => errors.push(error),
    });
    open.push(strata);
    await strata.set('session', { roles: ['user'] });
    const sealed = (await readRaw('secure', namespace, 'session')) as RawRecord;
    await writeRaw('secure', namespace, 'session', {
      v: sealed.v,
      u: sealed.u + 1,
      w: sealed.w,
      p: '{"roles":["admin"]}',
    });
    expect(await strata.get('session')).toBeNull();
    expect(errors.map((e) => e.code)).toContain('DECRYPT_FAILED');
  });
});

describe('what still holds', () => {
  it('a sliding read re-seals the new expiry, which then reads back', async () => {
    const namespace = uniqueNamespace('reseal');
    const { strata, errors } = strataOn('localStorage', namespace);
    await strata.set('s', 'slides', { ttl: 60_000, sliding: true });
    const before = await readRaw('localStorage', namespace, 's');
    clock.advance(50_000);
    expect(await strata.get('s')).toBe('slides');
    const after = await readRaw('localStorage', namespace, 's');
    expect(after?.e).toBe(clock.now() + 60_000);
    expect(after?.p).not.toBe(before?.p);
    clock.advance(50_000);
    const reader = strataOn('localStorage', namespace);
    expect(await reader.strata.get('s')).toBe('slides');
    expect([...errors, ...reader.errors]).toEqual([]);
  });

  it('extendTTL re-seals: the new expiry is authenticated', async () => {
    const namespace = uniqueNamespace('extend');
    const { strata } = strataOn('indexedDB', namespace);
    await strata.set('k', 'v', { ttl: 1_000 });
    expect(await strata.extendTTL('k', 90_000)).toBe(true);
    clock.advance(60_000);
    const reader = strataOn('indexedDB', namespace);
    expect(await reader.strata.get('k')).toBe('v');
    expect(reader.errors).toEqual([]);
  });

  it('stored sizes only tell a 64-character range', async () => {
    const namespace = uniqueNamespace('padding');
    const { strata } = strataOn('localStorage', namespace);
    await strata.set('short', 'a');
    await strata.set('longer', 'a'.repeat(40));
    const [short, longer] = await Promise.all(
      ['short', 'longer'].map((key) => readRaw('localStorage', namespace, key)),
    );
    expect(short?.p.length).toBe(longer?.p.length);
  });
});
