import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deserialize, serialize } from '../../src/codec/serialize.js';

/** Values the codec promises to round-trip: JSON plus Date, typed arrays, ArrayBuffer, Map, Set, non-finite numbers, -0. */
const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string({ unit: 'binary' }),
    fc.double(), // includes NaN, ±Infinity, -0
    fc.boolean(),
    fc.constant(null),
    fc.date({ noInvalidDate: false }),
    fc.uint8Array(),
    fc.int16Array(),
    fc.float64Array(),
    fc.uint8Array().map((bytes) => bytes.slice().buffer),
    tie('array'),
    tie('object'),
    tie('map'),
    tie('set'),
  ),
  array: fc.array(tie('value'), { maxLength: 5 }),
  object: fc.dictionary(
    fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.constantFrom('__proto__', 'constructor', '\u0000', 'v'),
    ),
    tie('value'),
    { maxKeys: 5, noNullPrototype: true },
  ),
  map: fc
    .array(fc.tuple(tie('value'), tie('value')), { maxLength: 3 })
    .map((entries) => new Map(entries)),
  set: fc.array(tie('value'), { maxLength: 3 }).map((items) => new Set(items)),
}));

describe('codec (property)', () => {
  it('deserialize(serialize(v)) equals v, for every supported type and any member name', () => {
    fc.assert(
      fc.property(value, (v) => {
        const back = deserialize(serialize(v));
        // toEqual, not toStrictEqual: the latter compares `.constructor`, which a stored own
        // "constructor" member legitimately shadows. Types still compare by their tag; -0 by Object.is.
        expect(back).toEqual(v);
      }),
      { numRuns: 1000 },
    );
  });

  it('the text is valid JSON, and a read-back never has a polluted prototype', () => {
    fc.assert(
      fc.property(value, (v) => {
        const text = serialize(v);
        expect(() => JSON.parse(text)).not.toThrow();
        const back = deserialize(text);
        if (
          back !== null &&
          typeof back === 'object' &&
          !ArrayBuffer.isView(back) &&
          !(back instanceof ArrayBuffer)
        ) {
          const proto: unknown = Object.getPrototypeOf(back);
          expect(
            [
              Object.prototype,
              Array.prototype,
              Map.prototype,
              Set.prototype,
              Date.prototype,
            ].includes(proto as object),
          ).toBe(true);
        }
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });

  it('serialize is deterministic', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(serialize(v)).toBe(serialize(v));
      }),
    );
  });
});
