import { afterEach, describe, expect, it } from 'vitest';
import { Strata, type StrataError, type StrataOptions } from 'strata-storage';
import { uniqueNamespace } from '../helpers.js';
import { keyringHas } from './keyring.js';

// encryption.wrappingKey: the data key is stored only wrapped by a key the browser never
// persists. These tests check the option's contract in the page; the disk copy of a real
// profile is scanned offline in tests/e2e/offline-profile.spec.ts.

const open: Strata[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close().catch(() => undefined)));
});

function strataWith(
  namespace: string,
  wrappingKey: () => Promise<CryptoKey>,
  extra: Partial<StrataOptions> = {},
): { strata: Strata; errors: StrataError[] } {
  const errors: StrataError[] = [];
  const strata = new Strata({
    namespace,
    encryption: { enabled: true, wrappingKey },
    ...extra,
    onError: (e) => errors.push(e),
  });
  open.push(strata);
  return { strata, errors };
}

/** A server-side wrapping key: its bytes, and the non-extractable CryptoKey the app imports from them. */
async function serverKey(algorithm: 'AES-KW' | 'AES-GCM' = 'AES-KW') {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const importAs = (extractable: boolean) =>
    crypto.subtle.importKey('raw', bytes, { name: algorithm }, extractable, [
      'wrapKey',
      'unwrapKey',
    ]);
  return { bytes, key: await importAs(false), importAs };
}

const metaOf = (namespace: string) =>
  JSON.parse(localStorage.getItem(`${encodeURIComponent(namespace)}#keys`) ?? 'null') as Record<
    string,
    unknown
  > | null;

/** The data key's bytes, as only a holder of the wrapping key can get them (AES-KW). */
async function dataKeyBytes(namespace: string, wrapping: CryptoKey): Promise<Uint8Array> {
  const key = await crypto.subtle.unwrapKey(
    'raw',
    Uint8Array.from(atob(metaOf(namespace)?.wrapped as string), (c) => c.charCodeAt(0)),
    wrapping,
    'AES-KW',
    { name: 'AES-GCM' },
    true,
    ['encrypt', 'decrypt'],
  );
  return new Uint8Array(await crypto.subtle.exportKey('raw', key));
}

const latin1 = (bytes: Uint8Array) => String.fromCharCode(...bytes);
const base64 = (bytes: Uint8Array) => btoa(latin1(bytes));

describe('encryption.wrappingKey', () => {
  it.each([
    ['not a function', { wrappingKey: 'key' }],
    ['with a password', { wrappingKey: async () => undefined, password: 'pw' }],
  ])('is refused with INVALID_OPTIONS when %s', (_, encryption) => {
    expect(() => new Strata({ encryption: { enabled: true, ...encryption } as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
  });

  it('is refused with INVALID_OPTIONS beside a CryptoKey', async () => {
    const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
      'encrypt',
      'decrypt',
    ]);
    expect(
      () => new Strata({ encryption: { enabled: true, key, wrappingKey: async () => key } }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
  });

  it.each(['AES-KW', 'AES-GCM'] as const)(
    'with an %s wrapping key: items round-trip, the data key is stored only wrapped, no device key is made',
    async (algorithm) => {
      const namespace = uniqueNamespace(`wrap-${algorithm}`);
      const server = await serverKey(algorithm);
      let calls = 0;
      const fetchKey = async () => (calls++, server.key);
      const { strata, errors } = strataWith(namespace, fetchKey);
      await strata.set('refresh', 'rt-wrapped-1', { tags: ['auth'] });
      expect(await strata.get('refresh')).toBe('rt-wrapped-1');
      expect(calls).toBe(1);
      await strata.close();
      const meta = metaOf(namespace);
      expect(meta).toMatchObject({ v: 1, mode: 'wrapped', wrapped: expect.any(String) });
      expect(meta?.salt).toBeUndefined();
      expect(await keyringHas(namespace)).toBe(false);
      const reopened = strataWith(namespace, fetchKey);
      expect(await reopened.strata.get('refresh')).toBe('rt-wrapped-1');
      await reopened.strata.clear({ tags: ['auth'] });
      expect(await reopened.strata.keys()).toEqual([]);
      expect([...errors, ...reopened.errors]).toEqual([]);
      if (algorithm === 'AES-KW') {
        // Neither the raw bytes nor their base64 are anywhere in storage.
        const raw = await dataKeyBytes(namespace, await server.importAs(false));
        const everything = Object.keys(localStorage)
          .map((k) => k + (localStorage.getItem(k) ?? ''))
          .join('\n');
        expect(everything.includes(latin1(raw))).toBe(false);
        expect(everything.includes(base64(raw))).toBe(false);
      }
    },
  );

  it("works for the 'secure' layer without a device key", async () => {
    const namespace = uniqueNamespace('wrap-secure');
    const server = await serverKey();
    const { strata } = strataWith(namespace, async () => server.key, { defaultStorage: 'secure' });
    await strata.set('token', { access: 'at-1' });
    expect(await strata.get('token')).toEqual({ access: 'at-1' });
    expect(await keyringHas(namespace)).toBe(false);
  });

  it('another wrapping key rejects ready() with WRONG_KEY and changes nothing', async () => {
    const namespace = uniqueNamespace('wrap-wrong');
    const server = await serverKey();
    const first = strataWith(namespace, async () => server.key).strata;
    await first.set('a', 1);
    await first.close();
    const before = JSON.stringify(metaOf(namespace));
    const other = await serverKey();
    const { strata } = strataWith(namespace, async () => other.key);
    await expect(strata.ready()).rejects.toMatchObject({ code: 'WRONG_KEY' });
    expect(JSON.stringify(metaOf(namespace))).toBe(before);
    // The same bytes with the other algorithm do not open it either.
    const gcm = await crypto.subtle.importKey('raw', server.bytes, 'AES-GCM', false, [
      'wrapKey',
      'unwrapKey',
    ]);
    await expect(strataWith(namespace, async () => gcm).strata.ready()).rejects.toMatchObject({
      code: 'WRONG_KEY',
    });
    expect(await strataWith(namespace, async () => server.key).strata.get('a')).toBe(1);
  });

  it('a rejected wrappingKey() rejects ready() with WRAPPING_KEY_UNAVAILABLE and is asked again next time; an unfit key gives INVALID_OPTIONS', async () => {
    const namespace = uniqueNamespace('wrap-fail');
    const server = await serverKey();
    let calls = 0;
    const failing = strataWith(namespace, () =>
      ++calls === 1 ? Promise.reject(new Error('offline')) : Promise.resolve(server.key),
    );
    const error = await failing.strata.ready().catch((e: unknown) => e as StrataError);
    expect(error).toMatchObject({ name: 'StrataError', code: 'WRAPPING_KEY_UNAVAILABLE' });
    expect(metaOf(namespace)).toBeNull(); // no key was set up
    await failing.strata.set('after', 1); // the server answers now: the instance recovers
    expect(await failing.strata.get('after')).toBe(1);
    expect(calls).toBe(2);
    const hmac = await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
    ]);
    await expect(
      strataWith(uniqueNamespace('wrap-unfit'), async () => hmac).strata.ready(),
    ).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    const encryptOnly = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
      'encrypt',
      'decrypt',
    ]);
    await expect(
      strataWith(uniqueNamespace('wrap-usage'), async () => encryptOnly).strata.ready(),
    ).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
  });

  it('a wrappingKey() that never settles holds up only its own instance, not the key lock', async () => {
    const namespace = uniqueNamespace('wrap-hang');
    const server = await serverKey();
    const hanging = strataWith(namespace, () => new Promise<CryptoKey>(() => undefined)).strata;
    void hanging.ready().catch(() => undefined);
    const { strata } = strataWith(namespace, async () => server.key);
    await strata.set('a', 1);
    expect(await strata.get('a')).toBe(1);
    open.splice(open.indexOf(hanging), 1); // its close() would wait for the set-up for ever
  });

  it('rotates from a wrapping key to a password, the old wrapped key leaving the metadata', async () => {
    const namespace = uniqueNamespace('wrap-rotate');
    const server = await serverKey();
    const { strata } = strataWith(namespace, async () => server.key);
    await strata.set('a', { n: 1 });
    await strata.rotateKey('a new password');
    expect(await strata.get('a')).toEqual({ n: 1 });
    const meta = metaOf(namespace);
    expect(meta).toMatchObject({ mode: 'password', gen: 2 });
    expect(meta?.wrapped).toBeUndefined();
    await strata.close();
    const reopened = new Strata({
      namespace,
      encryption: { enabled: true, password: 'a new password' },
    });
    open.push(reopened);
    expect(await reopened.get('a')).toEqual({ n: 1 });
    await expect(
      strataWith(namespace, async () => server.key).strata.ready(),
    ).rejects.toMatchObject({ code: 'KEY_ROTATED' });
  });
});
