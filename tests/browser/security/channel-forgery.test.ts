import { afterEach, describe, expect, it } from 'vitest';
import type { StorageKind, StrataError } from 'strata-storage';
import { makeStrata, uniqueNamespace } from '../helpers.js';
import { readRaw } from './raw-edit.js';

// A same-origin script (another tab, an iframe, an injected widget) posts to the SDK's
// channels: forged, replayed and plaintext messages.

const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

const PASSWORD = 'channel-test-password';

function tab(
  namespace: string,
  kind: StorageKind = 'memory',
  encryption: { enabled: true; password: string } | undefined = {
    enabled: true,
    password: PASSWORD,
  },
): ReturnType<typeof makeStrata> {
  const made = makeStrata({
    namespace,
    defaultStorage: kind,
    sync: { enabled: true },
    ...(encryption ? { encryption } : {}),
  });
  open.push(made.strata);
  return made;
}

/** The attacker's end of a channel: posts anything, records everything. */
function attacker(name: string): { post(data: unknown): void; heard: unknown[] } {
  const channel = new BroadcastChannel(name);
  const heard: unknown[] = [];
  channel.onmessage = (event) => heard.push(event.data);
  open.push(channel);
  return { post: (data) => channel.postMessage(data), heard };
}

const codes = (errors: StrataError[]) => errors.map((error) => error.code);

describe('the sync channel of an encrypted namespace', () => {
  it('a forged clear-format set, remove and clear are refused, and a huge stamp moves no clock', async () => {
    const namespace = uniqueNamespace('forge');
    const { strata, errors } = tab(namespace, 'localStorage');
    await strata.set('session', { roles: ['user'] });
    const evil = attacker(`strata:${namespace}`);
    const from = 'attacker-tab';
    const record = { v: 2, p: '{"roles":["admin"]}', u: 8.64e15, w: from };
    evil.post({
      strata: 1,
      ns: namespace,
      from,
      msg: { kind: 'set', key: 'x', layer: 'memory', record },
    });
    evil.post({
      strata: 1,
      ns: namespace,
      from,
      msg: { kind: 'remove', keys: ['session'], u: 8.64e15, w: from, expired: false },
    });
    evil.post({
      strata: 1,
      ns: namespace,
      from,
      msg: { kind: 'clear', keys: ['session'], u: 8.64e15, w: from },
    });
    await expect.poll(() => codes(errors).filter((c) => c === 'INVALID_MESSAGE').length).toBe(3);
    expect(await strata.get('session')).toEqual({ roles: ['user'] });
    expect(await strata.get('x')).toBeNull();
    await strata.set('after', 1);
    expect((await readRaw('localStorage', namespace, 'after'))?.u).toBeLessThan(
      Date.now() + 60_000,
    );
  });

  it('a sealed message replayed is dropped: a removed item does not come back', async () => {
    const namespace = uniqueNamespace('replay');
    const a = tab(namespace);
    const b = tab(namespace);
    const evil = attacker(`strata:${namespace}`);
    await Promise.all([a.strata.ready(), b.strata.ready()]);
    await a.strata.set('cart', ['book']);
    await expect.poll(() => b.strata.get('cart')).toEqual(['book']);
    await expect.poll(() => evil.heard.length).toBe(1);
    const captured = evil.heard[0];
    expect(captured).toMatchObject({ sealed: expect.any(String) });
    await a.strata.remove('cart');
    await expect.poll(() => b.strata.get('cart')).toBeNull();
    evil.post(captured);
    await expect.poll(() => codes(b.errors)).toContain('INVALID_MESSAGE');
    expect(await b.strata.get('cart')).toBeNull();
  });

  it('a sealed message re-attributed to another sender does not open', async () => {
    const namespace = uniqueNamespace('reattribute');
    const a = tab(namespace);
    const b = tab(namespace);
    const evil = attacker(`strata:${namespace}`);
    await Promise.all([a.strata.ready(), b.strata.ready()]);
    await a.strata.set('k', 1);
    await expect.poll(() => evil.heard.length).toBe(1);
    evil.post({ ...(evil.heard[0] as object), from: 'someone-else' });
    await expect.poll(() => codes(b.errors)).toContain('INVALID_MESSAGE');
  });

  it('no plaintext crosses: values, keys and tags of a set and of a tag clear', async () => {
    const namespace = uniqueNamespace('plaintext');
    const a = tab(namespace);
    const evil = attacker(`strata:${namespace}`);
    await a.strata.set('refresh-token-key', 'rt-PLAINTEXT-value', { tags: ['auth-tag-name'] });
    await a.strata.clear({ tags: ['auth-tag-name'] });
    await expect.poll(() => evil.heard.length).toBe(2);
    const text = JSON.stringify(evil.heard);
    for (const secret of ['refresh-token-key', 'rt-PLAINTEXT-value', 'auth-tag-name'])
      expect(text).not.toContain(secret);
  });

  it.each([
    ['rotation', 'rotated', 7],
    ['shredding', 'destroyed', 0],
  ] as const)('a fake %s notice changes nothing: writes and reads go on', async (_, phase, gen) => {
    const namespace = uniqueNamespace('fake-key-event');
    const { strata, errors } = tab(namespace, 'localStorage');
    await strata.set('before', 1);
    attacker(`strata-keys:${namespace}`).post({
      strataKeys: 1,
      ns: namespace,
      from: 'attacker',
      phase,
      gen,
    });
    // A malformed message after it on the data channel: once that is reported, the notice
    // (queued before it, checked against the key metadata in microtasks) was handled.
    attacker(`strata:${namespace}`).post({ strata: 1, ns: namespace, from: 'attacker' });
    await expect.poll(() => codes(errors)).toContain('INVALID_MESSAGE');
    await strata.set('after', 2);
    expect(await strata.get('after')).toBe(2);
    expect(await strata.get('before')).toBe(1);
    expect(codes(errors)).not.toContain('KEY_ROTATED');
  });
});

describe('the sync channel of a namespace without a key', () => {
  it('a stamp far in the future is refused: the clock stays near the real time', async () => {
    const namespace = uniqueNamespace('plain-stamp');
    const { strata, errors } = tab(namespace, 'localStorage', undefined);
    await strata.set('k', 1);
    const evil = attacker(`strata:${namespace}`);
    evil.post({
      strata: 1,
      ns: namespace,
      from: 'attacker',
      msg: { kind: 'clear', keys: ['k'], u: 8.64e15, w: 'attacker' },
    });
    await expect.poll(() => codes(errors)).toContain('INVALID_MESSAGE');
    expect(await strata.get('k')).toBe(1);
    await strata.set('after', 1);
    expect((await readRaw('localStorage', namespace, 'after'))?.u).toBeLessThan(
      Date.now() + 60_000,
    );
  });
});
