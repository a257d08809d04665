import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Strata, StrataError } from 'strata-storage';
import { uniqueNamespace } from '../helpers.js';
import { domError, patch } from '../reliability/patch.js';

const PASSWORD = 'pw-Zq9!correct-horse';
const NEW_PASSWORD = 'pw-Kx2!battery-staple';
const WRONG_PASSWORD = 'pw-Wr0ng!guess';
const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.rt-VALUE-7f3c9a';
const SECRETS = [
  PASSWORD,
  NEW_PASSWORD,
  WRONG_PASSWORD,
  TOKEN,
  'rt-VALUE-7f3c9a',
  'correct-horse',
  'battery-staple',
];

/** Everything the SDK said: error messages and cause chains, event payloads, console output. */
const said: string[] = [];
let restore: Array<() => void> = [];

function describeError(error: unknown, depth = 0): string {
  if (depth > 5 || error === undefined || error === null) return '';
  if (error instanceof Error) {
    const own = Object.entries(error)
      .map(([k, v]) => `${k}=${safeString(v)}`)
      .join(' ');
    return `${error.name}: ${error.message} ${error.stack ?? ''} ${own} <- ${describeError((error as { cause?: unknown }).cause, depth + 1)}`;
  }
  return safeString(error);
}

function safeString(value: unknown): string {
  if (value instanceof Error) return describeError(value);
  try {
    return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}

beforeEach(() => {
  said.length = 0;
  for (const level of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    const original = console[level].bind(console);
    restore.push(
      patch(console, level, (...args: unknown[]) => {
        said.push(args.map(safeString).join(' '));
        original(...args);
      }),
    );
  }
});
afterEach(() => {
  restore.reverse().forEach((undo) => undo());
  restore = [];
});

function listen(strata: Strata): void {
  strata.on('error', (error) => said.push(describeError(error)));
  strata.on('fallback', (event) =>
    said.push(safeString({ ...event, reason: describeError(event.reason) })),
  );
}

async function capture(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(StrataError);
    said.push(describeError(error));
  }
}

describe('no secret in errors, events or logs', () => {
  it('password, rotation, wrong password, tampering, quota, bad values and shredding never echo a password or value', async () => {
    const namespace = uniqueNamespace('leak');
    const strata = new Strata({
      namespace,
      encryption: { enabled: true, password: PASSWORD },
      fallbackStorage: 'sessionStorage',
      sync: { enabled: true },
    });
    listen(strata);
    await strata.set('auth:refresh', TOKEN, { tags: ['auth'] });
    await strata.set('auth:profile', { token: TOKEN, name: 'Ada' });
    // Bad input carrying the secret.
    await capture(() => strata.set('auth:bad', { token: TOKEN, fn: () => TOKEN }));
    await capture(() => strata.set('auth:bad', { token: TOKEN, big: 10n }));
    await capture(() => strata.set(TOKEN.repeat(200), 1));
    await capture(() => strata.set('k', TOKEN, { ttl: TOKEN as never }));
    // Wrong password, from a second instance.
    const wrong = new Strata({
      namespace,
      encryption: { enabled: true, password: WRONG_PASSWORD },
    });
    await capture(() => wrong.ready());
    await capture(() => wrong.get('auth:refresh'));
    // Tampered record.
    const physical = `${encodeURIComponent(namespace)}:auth:refresh`;
    const text = localStorage.getItem(physical) ?? '';
    localStorage.setItem(physical, `${text.slice(0, -6)}AAAAA=`);
    const reader = new Strata({ namespace, encryption: { enabled: true, password: PASSWORD } });
    listen(reader);
    expect(await reader.get('auth:refresh')).toBeNull();
    await reader.close();
    // Quota: the write falls back (reported), value never in the report.
    const setItem = Storage.prototype.setItem;
    restore.push(
      patch(Storage.prototype, 'setItem', function (this: Storage, key: string, value: string) {
        if (this === localStorage && key.startsWith(encodeURIComponent(namespace)))
          throw domError('QuotaExceededError');
        return setItem.call(this, key, value);
      }),
    );
    await strata.set('auth:refresh', TOKEN);
    restore.pop()?.();
    // Rotation and a stale tab.
    const stale = new Strata({
      namespace,
      encryption: { enabled: true, password: PASSWORD },
      sync: { enabled: true },
    });
    listen(stale);
    await stale.ready();
    await strata.rotateKey(NEW_PASSWORD);
    await capture(() => stale.set('x', TOKEN));
    await capture(() => stale.rotateKey(WRONG_PASSWORD));
    await capture(() =>
      new Strata({ namespace, encryption: { enabled: true, password: PASSWORD } }).ready(),
    );
    // Without onError, reports go to console.warn: captured too.
    const quiet = new Strata({ namespace, encryption: { enabled: true, password: NEW_PASSWORD } });
    localStorage.setItem(
      `${encodeURIComponent(namespace)}:auth:broken`,
      `[1,1,"w",1,0,0,0,0]\n2.${btoa(TOKEN)}`,
    );
    expect(await quiet.get('auth:broken')).toBeNull();
    await quiet.destroyKey();
    await capture(() => quiet.rotateKey(''));
    await Promise.all([strata.close(), stale.close(), quiet.close(), wrong.close()]);
    await capture(() => strata.get('auth:refresh'));

    const all = said.join('\n');
    expect(said.length).toBeGreaterThan(10);
    for (const secret of SECRETS) expect(all, `leaked ${secret}`).not.toContain(secret);
    expect(all).not.toContain(btoa(TOKEN));
    // And the reports did happen (the test exercised the paths it claims to).
    for (const code of [
      'UNSERIALIZABLE',
      'INVALID_KEY',
      'INVALID_OPTIONS',
      'WRONG_PASSWORD',
      'DECRYPT_FAILED',
      'QUOTA_EXCEEDED',
      'KEY_ROTATED',
      'CLOSED',
    ]) {
      expect(all).toContain(code);
    }
  });

  it('a secure-layer namespace seals its channel messages: no value, tag or record crosses in clear', async () => {
    const namespace = uniqueNamespace('secure-channel');
    const strata = new Strata({ namespace, defaultStorage: 'secure', sync: { enabled: true } });
    await strata.ready();
    const heard: unknown[] = [];
    const raw = new BroadcastChannel(`strata:${namespace}`);
    raw.onmessage = (event) => heard.push(event.data);
    await strata.set('refresh', TOKEN, { tags: ['auth-secret-tag'] });
    await expect.poll(() => heard.length).toBe(1);
    const text = JSON.stringify(heard);
    expect(text).not.toContain('rt-VALUE-7f3c9a');
    expect(text).not.toContain('auth-secret-tag');
    expect(text).not.toContain('"refresh"');
    expect(heard[0]).toMatchObject({ sealed: expect.any(String) });
    expect(heard[0]).not.toHaveProperty('msg');
    expect(await strata.get('refresh')).toBe(TOKEN);
    await strata.clear({ tags: ['auth-secret-tag'] });
    expect(await strata.get('refresh')).toBeNull();
    raw.close();
    await strata.close();
  });
});
