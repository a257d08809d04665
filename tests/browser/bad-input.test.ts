import { describe, expect, it } from 'vitest';
import { Strata, StrataError } from 'strata-storage';
import { makeStrata } from './helpers.js';

describe('bad input is refused clearly and changes nothing', () => {
  it.each([
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
    ['a BigInt', 10n],
    ['undefined', undefined],
    ['a nested function', { ok: 1, fn: () => 1 }],
    [
      'a class instance',
      new (class Session {
        id = 1;
      })(),
    ],
    ['a RegExp', /x/],
    ['a WeakMap', new WeakMap()],
  ])('refuses %s with UNSERIALIZABLE and keeps the old value', async (_, value) => {
    const { strata } = makeStrata();
    await strata.set('k', 'old');
    const error = await strata.set('k', value).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StrataError);
    expect(error).toMatchObject({ code: 'UNSERIALIZABLE' });
    expect(await strata.get('k')).toBe('old');
    await strata.close();
  });

  it('refuses a cycle and names where it is', async () => {
    const { strata } = makeStrata();
    const a: Record<string, unknown> = { b: { list: [] as unknown[] } };
    (a.b as { list: unknown[] }).list.push(a);
    await expect(strata.set('cycle', a)).rejects.toMatchObject({
      code: 'UNSERIALIZABLE',
      message: expect.stringContaining('value.b.list[0]'),
    });
    await strata.close();
  });

  it('stores deep nesting up to the limit and refuses deeper', async () => {
    const { strata } = makeStrata();
    const nest = (depth: number): unknown => {
      let v: unknown = 'leaf';
      for (let i = 0; i < depth; i++) v = [v];
      return v;
    };
    await strata.set('deep', nest(900));
    expect(JSON.stringify(await strata.get('deep'))).toBe(JSON.stringify(nest(900)));
    await expect(strata.set('deeper', nest(5000))).rejects.toMatchObject({
      code: 'UNSERIALIZABLE',
    });
    await strata.close();
  });

  it.each([
    ['', 'empty'],
    ['x'.repeat(5000), 'too long'],
    [42, 'a number'],
    [null, 'null'],
  ] as Array<[unknown, string]>)('refuses the key %#: %s', async (key) => {
    const { strata } = makeStrata();
    await expect(strata.set(key as string, 1)).rejects.toMatchObject({ code: 'INVALID_KEY' });
    await expect(strata.get(key as string)).rejects.toMatchObject({ code: 'INVALID_KEY' });
    await strata.close();
  });

  it('accepts keys with *, :, unicode, __proto__ and constructor', async () => {
    const { strata } = makeStrata();
    const keys = ['*', 'a:b', '🗝 ключ', '__proto__', 'constructor', 'toString'];
    for (const key of keys) await strata.set(key, key);
    for (const key of keys) expect(await strata.get(key)).toBe(key);
    expect(await strata.keys()).toEqual([...keys].sort());
    await strata.close();
  });

  it('a __proto__ member reads back as plain data, never as a prototype', async () => {
    const { strata } = makeStrata();
    const hostile = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<
      string,
      unknown
    >;
    await strata.set('h', hostile);
    const back = await strata.get<Record<string, unknown>>('h');
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((back as { polluted?: boolean }).polluted).toBeUndefined();
    expect(Object.keys(back ?? {})).toEqual(['__proto__', 'a']);
    await strata.close();
  });

  it.each([
    [{ namespace: '' }],
    [{ defaultStorage: 'cookies' }],
    [{ fallbackStorage: ['localStorage', 'disk'] }],
    [{ ttl: { default: -1 } }],
    [{ ttl: { default: Number.NaN } }],
    [{ ttl: { cleanupInterval: 'soon' } }],
    [{ encryption: { enabled: 'yes' } }],
    [{ encryption: { enabled: true, keySize: 192 } }],
    [{ encryption: { enabled: true, iterations: 1000 } }],
    [{ encryption: { enabled: true, password: '' } }],
    [{ sync: { enabled: true, broadcastChannel: 5 } }],
    [{ clock: 5 }],
  ])('refuses bad constructor options %j with INVALID_OPTIONS', (options) => {
    expect(() => new Strata(options as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
  });

  it.each([
    [{ ttl: 0 }],
    [{ ttl: -5 }],
    [{ ttl: Infinity }],
    [{ tags: 'auth' }],
    [{ tags: [''] }],
    [{ sliding: 'yes' }],
  ])('refuses bad set options %j', async (options) => {
    const { strata } = makeStrata();
    await expect(strata.set('k', 1, options as never)).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    });
    expect(await strata.has('k')).toBe(false);
    await strata.close();
  });

  it('a record that is not valid JSON reads as null, is reported, and other keys work', async () => {
    const { strata, namespace, errors } = makeStrata({ defaultStorage: 'localStorage' });
    await strata.set('good', 1);
    const ns = encodeURIComponent(namespace);
    localStorage.setItem(`${ns}:broken`, 'not a record at all');
    localStorage.setItem(`${ns}:half`, '[1,1,"w",0,0,0,0,0]\n{"truncated":');
    expect(await strata.get('broken')).toBeNull();
    expect(await strata.get('half')).toBeNull();
    expect(errors.map((e) => e.code)).toEqual(['CORRUPT_RECORD', 'CORRUPT_RECORD']);
    expect(await strata.get('good')).toBe(1);
    expect(localStorage.getItem(`${ns}:broken`)).toBe('not a record at all');
    await strata.close();
  });

  it('a record in a future format version reads as null and is left untouched by sweeps', async () => {
    const { strata, namespace, errors } = makeStrata({ defaultStorage: 'localStorage' });
    const slot = `${encodeURIComponent(namespace)}:future`;
    localStorage.setItem(slot, '[9,1,"w",0,1,0,0,0]\n"from the future"');
    expect(await strata.get('future')).toBeNull();
    expect(errors[0]?.code).toBe('UNSUPPORTED_VERSION');
    await strata.sweep();
    expect(localStorage.getItem(slot)).toBe('[9,1,"w",0,1,0,0,0]\n"from the future"');
    await strata.close();
  });
});
