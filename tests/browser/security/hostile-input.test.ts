import { afterEach, describe, expect, it } from 'vitest';
import { Strata, StrataError, type StorageKind } from 'strata-storage';
import { makeStrata } from '../helpers.js';

const open: Strata[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});
function strataOn(kind: StorageKind): ReturnType<typeof makeStrata> {
  const made = makeStrata({ defaultStorage: kind });
  open.push(made.strata);
  return made;
}

const LAYERS: StorageKind[] = ['localStorage', 'sessionStorage', 'indexedDB', 'secure', 'memory'];

const HOSTILE_KEYS = [
  'k'.repeat(4096), // the longest accepted
  '*',
  '\\*',
  'a*b',
  '**',
  ':',
  'a:b:c',
  '#keys',
  'keys',
  'probe',
  '%3A',
  'ns%2Fx',
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'toString',
  '🗝 ключ 鍵',
  'e\u0301',
  '\u0000',
  'line\nbreak',
  '\t',
  ' ',
  '\ud800',
  'a\ud800b',
  '[1,2]\n"p"',
];

describe.each(LAYERS)('hostile keys and values on %s', (kind) => {
  it('stores and lists every hostile key under its own name, with no collision with metadata', async () => {
    const { strata, errors } = strataOn(kind);
    for (const [i, key] of HOSTILE_KEYS.entries()) await strata.set(key, i);
    for (const [i, key] of HOSTILE_KEYS.entries())
      expect(await strata.get(key), JSON.stringify(key.slice(0, 20))).toBe(i);
    expect(await strata.keys()).toEqual([...HOSTILE_KEYS].sort());
    expect(await strata.keys('\\*')).toEqual(['*', '**']); // an escaped star is a literal prefix, not a glob
    expect(await strata.keys('a*b')).toEqual(['a*b', 'a\ud800b'].sort());
    await expect(strata.set('k'.repeat(4097), 1)).rejects.toMatchObject({ code: 'INVALID_KEY' });
    for (const key of HOSTILE_KEYS) await strata.remove(key);
    expect(await strata.keys()).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('round-trips hostile values exactly; __proto__ and constructor members stay data', async () => {
    const { strata } = strataOn(kind);
    const hostile = JSON.parse(
      '{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}, "\\u0000": "tag-like", "nested": [{"__proto__": {"isAdmin": true}}]}',
    ) as Record<string, unknown>;
    const bytes = new Uint8Array([9, 8, 7, 6, 5, 4, 3, 2]);
    const values: unknown[] = [
      hostile,
      'x'.repeat(kind === 'localStorage' || kind === 'sessionStorage' ? 500_000 : 2_000_000),
      'nul\u0000 newline\n lone\ud800 emoji🗝 "quotes" \\u0000 </script>',
      { '\u0000': { '\u0000': 'n', v: 'Infinity' } }, // looks like our own type tag
      [Number.NaN, Infinity, -Infinity, -0, Number.MAX_SAFE_INTEGER, 5e-324],
      new Date(0),
      new Date(Number.NaN),
      bytes.subarray(2, 6),
      new Int16Array([-1, 32767]),
      new Float32Array([0.5]),
      new Uint8Array(0),
      new Map<unknown, unknown>([
        [{ k: 1 }, 'object key'],
        ['__proto__', { a: 1 }],
      ]),
      new Set(['__proto__', 'constructor']),
      // eslint-disable-next-line no-sparse-arrays
      [1, , 3],
    ];
    for (const [i, value] of values.entries()) {
      await strata.set(`v${i}`, value);
      const back = await strata.get(`v${i}`);
      if (i === 13)
        expect(back).toEqual([1, null, 3]); // holes read back as null, as in JSON
      else expect(back).toEqual(value);
    }
    const read = (await strata.get<Record<string, unknown>>('v0')) ?? {};
    expect(Object.getPrototypeOf(read)).toBe(Object.prototype);
    expect(Object.keys(read)).toContain('__proto__');
    expect((read as { polluted?: unknown }).polluted).toBeUndefined();
    expect(({} as { polluted?: unknown; isAdmin?: unknown }).polluted).toBeUndefined();
    expect(({} as { isAdmin?: unknown }).isAdmin).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
    const sub = (await strata.get<Uint8Array>('v7')) as Uint8Array;
    expect(sub).toBeInstanceOf(Uint8Array);
    expect([...sub]).toEqual([7, 6, 5, 4]);
  });
});

describe('types that cannot round-trip are refused clearly', () => {
  it.each([
    ['a DataView', new DataView(new ArrayBuffer(4))],
    ['a BigInt64Array', new BigInt64Array(2)],
    ['a Promise', Promise.resolve(1)],
    ['an Error', new Error('x')],
    [
      'a getter-only object with a function',
      {
        get x() {
          return () => 1;
        },
      },
    ],
    ['a Map with a function value', new Map([['f', () => 1]])],
    ['an object with a symbol value', { s: Symbol('x') }],
    ['a Blob', new Blob(['x'])],
  ])('%s → UNSERIALIZABLE, nothing written', async (_, value) => {
    const { strata } = makeStrata();
    open.push(strata);
    const error = await strata.set('k', value).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StrataError);
    expect(error).toMatchObject({ code: 'UNSERIALIZABLE' });
    expect(await strata.has('k')).toBe(false);
  });
});

describe('options of the wrong type or out of range', () => {
  it.each([
    ['namespace ""', { namespace: '' }],
    ['namespace 5', { namespace: 5 }],
    ['defaultStorage "disk"', { defaultStorage: 'disk' }],
    ['fallbackStorage [null]', { fallbackStorage: [null] }],
    ['encryption true', { encryption: true }],
    ['encryption.enabled "yes"', { encryption: { enabled: 'yes' } }],
    ['encryption.password ""', { encryption: { enabled: true, password: '' } }],
    ['encryption.password 123', { encryption: { enabled: true, password: 123 } }],
    ['encryption.key a string', { encryption: { enabled: true, key: 'k' } }],
    ['encryption.keySize 512', { encryption: { enabled: true, keySize: 512 } }],
    [
      'encryption.iterations 1000',
      { encryption: { enabled: true, password: 'p', iterations: 1000 } },
    ],
    [
      'encryption.iterations NaN',
      { encryption: { enabled: true, password: 'p', iterations: Number.NaN } },
    ],
    ['encryption.algorithm AES-CBC', { encryption: { enabled: true, algorithm: 'AES-CBC' } }],
    ['ttl.default -1', { ttl: { default: -1 } }],
    ['ttl.default Infinity', { ttl: { default: Infinity } }],
    ['ttl.default "60"', { ttl: { default: '60' } }],
    ['ttl.cleanupInterval -5', { ttl: { cleanupInterval: -5 } }],
    ['ttl.sliding 1', { ttl: { sliding: 1 } }],
    ['sync true', { sync: true }],
    ['sync.broadcastChannel ""', { sync: { enabled: true, broadcastChannel: '' } }],
    ['idbOpenTimeout 0', { idbOpenTimeout: 0 }],
    ['idbOpenTimeout NaN', { idbOpenTimeout: Number.NaN }],
    ['clock 5', { clock: 5 }],
    ['onError "log"', { onError: 'log' }],
    ['options null', null],
  ])('new Strata(%s) → INVALID_OPTIONS', (_, options) => {
    expect(() => new Strata(options as never)).toThrow(
      expect.objectContaining({ name: 'StrataError', code: 'INVALID_OPTIONS' }),
    );
  });

  it.each([
    ['ttl 0', { ttl: 0 }],
    ['ttl -1', { ttl: -1 }],
    ['ttl NaN', { ttl: Number.NaN }],
    ['ttl "1000"', { ttl: '1000' }],
    ['sliding "yes"', { sliding: 'yes' }],
    ['encrypt 1', { encrypt: 1 }],
    ['tags "a"', { tags: 'a' }],
    ['tags [""]', { tags: [''] }],
    ['tags [1]', { tags: [1] }],
    ['options null', null],
  ])('set(…, %s) → INVALID_OPTIONS, nothing written', async (_, options) => {
    const { strata } = makeStrata();
    open.push(strata);
    await expect(strata.set('k', 1, options as never)).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    });
    expect(await strata.has('k')).toBe(false);
  });

  it('other methods refuse wrong argument types with stable codes', async () => {
    const { strata } = makeStrata();
    open.push(strata);
    await strata.set('k', 1);
    await expect(strata.extendTTL('k', -5)).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    await expect(strata.keys(42 as never)).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    await expect(strata.clear({ prefix: 5 } as never)).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    });
    await expect(strata.clear({ tags: [null] } as never)).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    });
    await expect(strata.clear('all' as never)).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    expect(() => strata.subscribe('k', 'listener' as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
    expect(() => strata.on('change' as never, () => undefined)).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
    await expect(strata.rotateKey(undefined as never)).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    });
    expect(await strata.get('k')).toBe(1);
  });
});
