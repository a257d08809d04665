import { afterEach, describe, expect, it } from 'vitest';
import { Strata, type StrataError } from 'strata-storage';
import { uniqueNamespace } from '../helpers.js';

// The key metadata sits in plain storage: anyone with the storage can edit it. Parameters
// outside what the SDK writes must be refused at once (a stored PBKDF2 count of 2e9 once kept
// ready() pending for ever, holding the key lock, and the next instance got LOCK_TIMEOUT),
// and nothing may be rewritten over them.

const PASSWORD = 'meta-bounds-password';
const open: Strata[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close().catch(() => undefined)));
});

function strataOn(namespace: string): { strata: Strata; errors: StrataError[] } {
  const errors: StrataError[] = [];
  const strata = new Strata({
    namespace,
    encryption: { enabled: true, password: PASSWORD },
    onError: (e) => errors.push(e),
  });
  open.push(strata);
  return { strata, errors };
}

/** Every localStorage entry of a namespace (records and metadata). */
function stored(namespace: string): Record<string, string | null> {
  const prefix = encodeURIComponent(namespace);
  return Object.fromEntries(
    Object.keys(localStorage)
      .filter((k) => k.startsWith(prefix))
      .map((k) => [k, localStorage.getItem(k)]),
  );
}

type Meta = Record<string, unknown> & { next?: Record<string, unknown> };
const huge = 'A'.repeat(1024 * 1024); // 768 kB of base64

const edits: Array<[string, (meta: Meta) => void]> = [
  ['iterations 2e9', (m) => (m.iterations = 2e9)],
  ['iterations 1', (m) => (m.iterations = 1)],
  ['iterations 599,999', (m) => (m.iterations = 599_999)],
  ['iterations 10,000,001', (m) => (m.iterations = 10_000_001)],
  ['iterations as a string', (m) => (m.iterations = '600000')],
  ['iterations 1e6 + 0.5', (m) => (m.iterations = 1e6 + 0.5)],
  ['a huge salt', (m) => (m.salt = huge)],
  ['a 4-byte salt', (m) => (m.salt = 'AAAAAA==')],
  ['a salt that is not base64', (m) => (m.salt = '!!!!'.repeat(8))],
  ['no salt', (m) => delete m.salt],
  ['a huge verifier', (m) => (m.verifier = huge)],
  ['a short verifier', (m) => (m.verifier = 'AAAA')],
  ['gen 1e300', (m) => (m.gen = 1e300)],
  ['gen 0', (m) => (m.gen = 0)],
  ['gen -1', (m) => (m.gen = -1)],
  ['gen 2.5', (m) => (m.gen = 2.5)],
  ['an unknown mode', (m) => (m.mode = 'rot13')],
  [
    'a pending key of iterations 2e9',
    (m) => (m.next = { ...m, gen: 2, iterations: 2e9, next: undefined }),
  ],
  ['a pending key of gen 1e300', (m) => (m.next = { ...m, gen: 1e300, next: undefined })],
  ['a pending key of another generation than gen + 1', (m) => (m.next = { ...m, gen: 7 })],
  ['a pending key that is not an object', (m) => (m.next = 'x' as never)],
  ['a huge wrapped key', (m) => (m.next = { ...m, gen: 2, wrappedOld: huge })],
  ['16 kB of extra fields', (m) => (m.pad = 'x'.repeat(16_384))],
];

describe('stored key metadata out of bounds', () => {
  it.each(edits)(
    '%s: ready() rejects with CORRUPT_RECORD at once, nothing is rewritten, the next instance gets the same',
    async (_, edit) => {
      const namespace = uniqueNamespace('bounds');
      const first = strataOn(namespace).strata;
      await first.set('refresh', 'rt-1', { tags: ['auth'] });
      await first.close();
      const metaKey = `${encodeURIComponent(namespace)}#keys`;
      const meta = JSON.parse(localStorage.getItem(metaKey) ?? '{}') as Meta;
      edit(meta);
      localStorage.setItem(metaKey, JSON.stringify(meta));
      const before = stored(namespace);

      const { strata, errors } = strataOn(namespace);
      const started = performance.now();
      await expect(strata.ready()).rejects.toMatchObject({
        name: 'StrataError',
        code: 'CORRUPT_RECORD',
      });
      // At once: no PBKDF2 ran (600,000 iterations alone take ~100 ms or more here).
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(errors.map((e) => e.code)).not.toContain('KEY_LOST');
      // The key lock was released: the next instance is refused the same way, not with LOCK_TIMEOUT.
      await expect(strataOn(namespace).strata.ready()).rejects.toMatchObject({
        code: 'CORRUPT_RECORD',
      });
      expect(stored(namespace)).toEqual(before);
    },
  );

  it('the message names the field, never a value', async () => {
    const namespace = uniqueNamespace('bounds-msg');
    const first = strataOn(namespace).strata;
    await first.set('a', 1);
    await first.close();
    const metaKey = `${encodeURIComponent(namespace)}#keys`;
    const meta = JSON.parse(localStorage.getItem(metaKey) ?? '{}') as Meta;
    const salt = meta.salt as string;
    meta.iterations = 123_456_789;
    localStorage.setItem(metaKey, JSON.stringify(meta));
    const error = await strataOn(namespace)
      .strata.ready()
      .catch((e: unknown) => e as StrataError);
    expect(error).toMatchObject({ code: 'CORRUPT_RECORD' });
    expect(error?.message).toContain('iterations');
    expect(error?.message).not.toContain('123456789');
    expect(error?.message).not.toContain(salt);
  });

  it('metadata within the bounds still opens, a legacy tag secret included', async () => {
    const namespace = uniqueNamespace('bounds-ok');
    const first = strataOn(namespace).strata;
    await first.set('a', 1);
    await first.rotateKey('second password'); // gen 2
    await first.close();
    // As an earlier version wrote it: a sealed tag secret beside the key (tolerated, unused now).
    const metaKey = `${encodeURIComponent(namespace)}#keys`;
    const meta = JSON.parse(localStorage.getItem(metaKey) ?? '{}') as Meta;
    meta.tags = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(72))));
    localStorage.setItem(metaKey, JSON.stringify(meta));
    const errors: StrataError[] = [];
    const reopened = new Strata({
      namespace,
      encryption: { enabled: true, password: 'second password' },
      onError: (e) => errors.push(e),
    });
    open.push(reopened);
    expect(await reopened.get('a')).toBe(1);
    expect(errors).toEqual([]);
  });
});

describe('encryption.iterations', () => {
  it.each([2e9, 10_000_001, 599_999, 1, 1e6 + 0.5, Number.NaN, Infinity])(
    '%s is refused with INVALID_OPTIONS at construction',
    (iterations) => {
      expect(
        () => new Strata({ encryption: { enabled: true, password: PASSWORD, iterations } }),
      ).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
    },
  );

  it.each([600_000, 10_000_000])('%s is accepted', async (iterations) => {
    const strata = new Strata({
      namespace: uniqueNamespace('iter-ok'),
      encryption: { enabled: true, password: PASSWORD, iterations },
    });
    await strata.close(); // constructing derives nothing
  });
});
