import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assertRecord,
  decodeRecordText,
  encodeRecordText,
  type StoredRecord,
} from '../../src/record.js';
import { compareWrites } from '../../src/write-clock.js';

/** Any envelope this build writes. */
const record: fc.Arbitrary<StoredRecord> = fc.record(
  {
    v: fc.constant(1),
    p: fc.string({ unit: 'binary' }),
    x: fc.constant(1 as const),
    e: fc.integer({ min: 1, max: 2 ** 52 }),
    t: fc.integer({ min: 1, max: 2 ** 40 }),
    s: fc.constant(1 as const),
    g: fc.array(fc.string({ unit: 'binary' }), { minLength: 1, maxLength: 5 }),
    u: fc.integer({ min: 0, max: 2 ** 52 }),
    w: fc.string({ unit: 'binary' }),
  },
  { requiredKeys: ['v', 'p', 'u', 'w'] },
);

describe('record envelope (property)', () => {
  it('Web Storage text round-trips every envelope exactly', () => {
    fc.assert(
      fc.property(record, (r) => {
        expect(decodeRecordText(encodeRecordText(r))).toEqual(r);
      }),
      { numRuns: 500 },
    );
  });

  it('every decoded envelope passes the IndexedDB/sync validator', () => {
    fc.assert(
      fc.property(record, (r) => {
        const decoded = decodeRecordText(encodeRecordText(r));
        expect(() => assertRecord(decoded)).not.toThrow();
      }),
    );
  });

  it('arbitrary text either decodes to a valid envelope or throws CORRUPT_RECORD, never anything else', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary' }),
          fc.json().map((j) => `${j}\n${j}`),
        ),
        (text) => {
          try {
            assertRecord(decodeRecordText(text));
          } catch (error) {
            expect(error).toMatchObject({ name: 'StrataError', code: 'CORRUPT_RECORD' });
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('arbitrary values either validate as a record or throw CORRUPT_RECORD', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        try {
          assertRecord(value);
          expect(typeof (value as StoredRecord).p).toBe('string');
        } catch (error) {
          expect(error).toMatchObject({ code: 'CORRUPT_RECORD' });
        }
      }),
    );
  });

  it('compareWrites is a strict total order on (u, w)', () => {
    const stamp = fc.record({
      u: fc.integer({ min: 0, max: 1e6 }),
      w: fc.string({ maxLength: 3 }),
    });
    fc.assert(
      fc.property(stamp, stamp, stamp, (a, b, c) => {
        expect(Math.sign(compareWrites(a, b)) + 0).toBe(-Math.sign(compareWrites(b, a)) + 0);
        expect(compareWrites(a, b) === 0).toBe(a.u === b.u && a.w === b.w);
        if (compareWrites(a, b) > 0 && compareWrites(b, c) > 0)
          expect(compareWrites(a, c)).toBeGreaterThan(0);
      }),
      { numRuns: 1000 },
    );
  });

  it('a write stamp no clock can follow (NaN, ±Infinity, negative, past 2^53 - 1) is CORRUPT_RECORD, in a record and in stored text', () => {
    for (const u of [
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      -1,
      1e308,
      2 ** 53,
    ]) {
      expect(() => assertRecord({ v: 1, p: '1', u, w: 'x' })).toThrow(
        expect.objectContaining({ code: 'CORRUPT_RECORD' }),
      );
      const text = encodeRecordText({ v: 1, p: '1', u: 5, w: 'x' }).replace(
        '[1,5,',
        `[1,${JSON.stringify(u)},`,
      );
      expect(text).toContain(`[1,${JSON.stringify(u)},`);
      expect(() => decodeRecordText(text)).toThrow(
        expect.objectContaining({ code: 'CORRUPT_RECORD' }),
      );
    }
    expect(() => assertRecord({ v: 1, p: '1', u: 8.64e15, w: 'x', e: Number.NaN })).toThrow(
      expect.objectContaining({ code: 'CORRUPT_RECORD' }),
    );
    // A tab whose clock followed another's stamp at the latest Date still writes readable records.
    expect(() => assertRecord({ v: 1, p: '1', u: 8.64e15 + 1_000, w: 'x' })).not.toThrow();
    expect(() =>
      decodeRecordText(encodeRecordText({ v: 1, p: '1', u: 8.64e15 + 1_000, w: 'x' })),
    ).not.toThrow();
  });
});
