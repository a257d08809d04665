// A disk copy of a real, persistent Chromium profile, read offline in Node as an attacker
// would (tests/e2e/harness/profile-scan.ts): what the SDK leaves in IndexedDB's and Local
// Storage's LevelDB files must give no key that the threat model says it protects.
// Chromium only: it drives Chromium's own profile folder through launchPersistentContext.
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { chromium, type BrowserContext, type Page } from 'playwright';
import { chromiumLaunchOptions } from '../../scripts/browsers.mjs';
import * as scan from './harness/profile-scan.js';

const folders: string[] = [];
test.afterAll(() =>
  folders.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })),
);

function newFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-profile-'));
  folders.push(dir);
  return dir;
}

/** A copy of a closed profile folder: what a backup, a synced folder or a stolen disk holds. */
function copyOf(dir: string): string {
  const copy = newFolder();
  cpSync(dir, copy, { recursive: true });
  return copy;
}

/** Chromium on the profile in `dir`, one harness page open on the test origin. */
async function openProfile(
  dir: string,
  baseURL: string,
): Promise<{ context: BrowserContext; page: Page }> {
  const { executablePath, args } = chromiumLaunchOptions();
  const context = await chromium.launchPersistentContext(dir, {
    executablePath,
    args,
    headless: true,
    baseURL,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto('/');
  await expect(page.locator('#status')).toHaveText('ready');
  return { context, page };
}

/** Opens `namespace` in the page with the wrapping key of server bytes `hex`, runs `action`, resolves to its result or error code. */
async function withWrapped(
  page: Page,
  namespace: string,
  hex: string,
  action: 'write' | 'read' | 'destroy' | 'ready',
): Promise<string | null> {
  return page.evaluate(
    async ({ namespace, hex, action }) => {
      // The app's wrappingKey(): the server's bytes, imported non-extractable, never stored.
      const bytes = Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16));
      const wrappingKey = () =>
        crypto.subtle.importKey('raw', bytes, 'AES-KW', false, ['wrapKey', 'unwrapKey']);
      const strata = new window.S.Strata({ namespace, encryption: { enabled: true, wrappingKey } });
      try {
        if (action === 'write') await strata.set('refresh', 'rt-wrapped-secret-0001');
        if (action === 'destroy') await strata.destroyKey();
        if (action === 'read') return await strata.get<string>('refresh');
        await strata.ready();
        return 'ok';
      } catch (error) {
        return `error:${(error as { code?: string }).code ?? String(error)}`;
      } finally {
        await strata.close().catch(() => undefined);
      }
    },
    { namespace, hex, action },
  );
}

/** In the page: the data key's bytes (hex), as only the holder of the wrapping key can get them. */
function dataKeyHex(page: Page, namespace: string, hex: string): Promise<string> {
  return page.evaluate(
    async ({ namespace, hex }) => {
      const meta = JSON.parse(localStorage.getItem(`${encodeURIComponent(namespace)}#keys`)!) as {
        wrapped: string;
      };
      const bytes = Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16));
      const kw = await crypto.subtle.importKey('raw', bytes, 'AES-KW', false, ['unwrapKey']);
      const wrapped = Uint8Array.from(atob(meta.wrapped), (c) => c.charCodeAt(0));
      const key = await crypto.subtle.unwrapKey(
        'raw',
        wrapped,
        kw,
        'AES-KW',
        { name: 'AES-GCM' },
        true,
        ['encrypt', 'decrypt'],
      );
      const raw = new Uint8Array(await crypto.subtle.exportKey('raw', key));
      return Array.from(raw, (b) => b.toString(16).padStart(2, '0')).join('');
    },
    { namespace, hex },
  );
}

const idbFiles = (files: scan.ProfileFile[]) => files.filter((f) => f.path.includes('IndexedDB'));

test('Chromium only: a disk copy of the profile gives the device key, and with encryption.wrappingKey no key and no token', async ({
  baseURL,
}) => {
  const dir = newFolder();
  const server = randomBytes(32).toString('hex'); // the app server's wrapping key
  const { context, page } = await openProfile(dir, baseURL!);
  await page.evaluate(async () => {
    const device = new window.S.Strata({ namespace: 'device-ns', encryption: { enabled: true } });
    await device.set('refresh', 'rt-device-secret-0001');
    await device.close();
  });
  expect(await withWrapped(page, 'wrapped-ns', server, 'write')).toBe('ok');
  const dataKey = Buffer.from(await dataKeyHex(page, 'wrapped-ns', server), 'hex');
  await context.close();

  const started = Date.now();
  const files = scan.readProfile(dir);
  const stores = scan.storageFiles(files);
  const metas = scan.keyMetadata(stores);
  const device = metas.find((m) => m.mode === 'device');
  const wrapped = metas.find((m) => m.mode === 'wrapped');
  expect(device, 'the device namespace metadata is on disk').toBeDefined();
  expect(wrapped, 'the wrapped namespace metadata is on disk').toBeDefined();
  expect(wrapped!.salt).toBeUndefined();
  // The control: the persisted non-extractable device key is in IndexedDB's files.
  const found = scan.keyFromWindows(idbFiles(stores), device!.verifier, 'device-ns');
  expect(found.key, 'the device key is readable from the disk copy').toBeDefined();
  // With a wrapping key: no window of any storage file opens the verifier, and the data key is in no file.
  const attempt = scan.keyFromWindows(stores, wrapped!.verifier, 'wrapped-ns');
  expect(attempt.key).toBeUndefined();
  expect(attempt.tried).toBeGreaterThan(1_000);
  expect(scan.filesWith(files, dataKey)).toEqual([]);
  expect(scan.filesWith(files, dataKey.toString('base64'))).toEqual([]);
  expect(scan.filesWith(files, dataKey.toString('hex'))).toEqual([]);
  expect(scan.filesWith(files, 'rt-wrapped-secret-0001')).toEqual([]);
  expect(scan.filesWith(files, 'rt-device-secret-0001')).toEqual([]);
  expect(Date.now() - started).toBeLessThan(30_000); // bounded

  // The copy in another browser, without the server's key: nothing opens.
  const stolen = await openProfile(copyOf(dir), baseURL!);
  const otherServer = randomBytes(32).toString('hex');
  expect(await withWrapped(stolen.page, 'wrapped-ns', otherServer, 'ready')).toBe(
    'error:WRONG_KEY',
  );
  expect(
    await stolen.page.evaluate(async () => {
      const strata = new window.S.Strata({
        namespace: 'wrapped-ns',
        encryption: { enabled: true },
      });
      const code = await strata.ready().then(
        () => 'ok',
        (error: { code?: string }) => `error:${error.code}`,
      );
      await strata.close();
      return code;
    }),
  ).toBe('error:WRONG_KEY');
  await stolen.context.close();
});

test('Chromium only: crypto-shredding with encryption.wrappingKey — a profile copy taken before destroyKey() decrypts nothing once the server forgot the key', async ({
  baseURL,
}) => {
  const dir = newFolder();
  let server: string | undefined = randomBytes(32).toString('hex');
  const first = await openProfile(dir, baseURL!);
  expect(await withWrapped(first.page, 'shred-ns', server, 'write')).toBe('ok');
  const dataKey = Buffer.from(await dataKeyHex(first.page, 'shred-ns', server), 'hex');
  await first.context.close();
  const before = copyOf(dir); // taken before the logout

  // While the server still has the wrapping key, the copy opens: forgetting it is part of the shred.
  const early = await openProfile(copyOf(before), baseURL!);
  expect(await withWrapped(early.page, 'shred-ns', server, 'read')).toBe('rt-wrapped-secret-0001');
  await early.context.close();

  const second = await openProfile(dir, baseURL!);
  expect(await withWrapped(second.page, 'shred-ns', server, 'destroy')).toBe('ok');
  await second.context.close();
  server = undefined; // the server forgets the wrapping key with the session

  // The copy from before the shred, offline: the wrapped key is there, no key that opens it.
  const files = scan.readProfile(before);
  const stores = scan.storageFiles(files);
  const meta = scan.keyMetadata(stores).find((m) => m.mode === 'wrapped');
  expect(meta?.wrapped).toEqual(expect.any(String));
  expect(scan.keyFromWindows(stores, meta!.verifier, 'shred-ns').key).toBeUndefined();
  expect(scan.filesWith(files, dataKey)).toEqual([]);
  // ... and in a browser, with the key the server hands out now.
  const stolen = await openProfile(before, baseURL!);
  const now = randomBytes(32).toString('hex');
  expect(await withWrapped(stolen.page, 'shred-ns', now, 'ready')).toBe('error:WRONG_KEY');
  await stolen.context.close();
  // The profile itself after the shred: neither metadata nor key.
  const after = scan.storageFiles(scan.readProfile(dir));
  expect(scan.filesWith(after, dataKey)).toEqual([]);
});

test('Chromium only: a rotation cut short never leaves the new key on disk under the old password; the new password finishes it', async ({
  baseURL,
}) => {
  const OLD = 'old password leaked';
  const NEW = 'new password after the leak';
  const namespace = 'rotate-ns';
  const dir = newFolder();
  const first = await openProfile(dir, baseURL!);
  const cut = await first.page.evaluate(
    async ({ namespace, OLD, NEW }) => {
      const strata = new window.S.Strata({
        namespace,
        encryption: { enabled: true, password: OLD },
      });
      for (let i = 0; i < 6; i++) await strata.set(`k${i}`, { i });
      // The page "closes" after two records are re-encrypted: later writes of records fail.
      const setItem = Storage.prototype.setItem;
      let writes = 0;
      Storage.prototype.setItem = function (key: string, value: string) {
        if (key.startsWith(`${namespace}:`) && ++writes > 2)
          throw new DOMException('page closed', 'UnknownError');
        return setItem.call(this, key, value);
      };
      const rotation = await strata.rotateKey(NEW).then(
        () => 'committed',
        (error: { code?: string }) => error.code,
      );
      Storage.prototype.setItem = setItem;
      // A refresh token written after the rotation began: under the new key.
      await strata.set('refresh', 'rt-after-rotation-0001');
      const meta = JSON.parse(localStorage.getItem(`${namespace}#keys`)!) as { next?: object };
      return { rotation, pending: meta.next !== undefined };
    },
    { namespace, OLD, NEW },
  );
  expect(cut).toEqual({ rotation: 'STORAGE_UNAVAILABLE', pending: true });
  await first.context.close();

  /** The attacker: the old password and a disk copy. Resolves to whether the new key was learned. */
  const attack = (folder: string) => {
    const stores = scan.storageFiles(scan.readProfile(folder));
    const metas = scan.keyMetadata(stores);
    const oldKeys = metas
      .filter((m) => m.mode === 'password' && m.salt)
      .map((m) => ({ meta: m, key: scan.passwordKey(OLD, m.salt!, m.iterations ?? 600_000) }))
      .filter(({ meta, key }) => scan.opensVerifier(key, meta.verifier, namespace));
    const pendingVerifiers = metas.flatMap((m) => (m.next ? [m.next.verifier] : []));
    let learned = false;
    for (const { key } of oldKeys)
      for (const run of scan.base64Runs(stores))
        for (const context of ['#next-key', '#prev-key', '#tags']) {
          const plain = scan.open(key, run, namespace, context)?.toString('latin1');
          if (!plain || !/^[A-Za-z0-9+/]+=*$/.test(plain)) continue;
          const candidate = Buffer.from(plain, 'base64');
          if (pendingVerifiers.some((v) => scan.opensVerifier(candidate, v, namespace)))
            learned = true;
        }
    return { oldKeys: oldKeys.length, pending: pendingVerifiers.length, learned, stores };
  };
  const cutShort = attack(copyOf(dir));
  expect(cutShort.oldKeys, 'the old password opens the old key from the disk copy').toBeGreaterThan(
    0,
  );
  expect(cutShort.pending, 'the pending rotation is on disk').toBeGreaterThan(0);
  expect(cutShort.learned, 'the new key must not unwrap with the old password').toBe(false);
  expect(scan.filesWith(cutShort.stores, 'rt-after-rotation-0001')).toEqual([]);

  // Reopened: the old password reads the old generation only and writes nothing; the new one finishes.
  const second = await openProfile(dir, baseURL!);
  const reopened = await second.page.evaluate(
    async ({ namespace, OLD, NEW }) => {
      const codes: string[] = [];
      const old = new window.S.Strata({
        namespace,
        encryption: { enabled: true, password: OLD },
        onError: (e) => codes.push(e.code),
      });
      const oldRefresh = await old.get('refresh');
      const oldWrite = await old.set('x', 'y').then(
        () => 'written',
        (error: { code?: string }) => error.code,
      );
      await old.close();
      const fresh = new window.S.Strata({
        namespace,
        encryption: { enabled: true, password: NEW },
      });
      const values = [];
      for (let i = 0; i < 6; i++) values.push(await fresh.get(`k${i}`));
      const refresh = await fresh.get('refresh');
      await fresh.close();
      const meta = JSON.parse(localStorage.getItem(`${namespace}#keys`)!) as { next?: object };
      return { oldRefresh, oldWrite, codes, values, refresh, pending: meta.next !== undefined };
    },
    { namespace, OLD, NEW },
  );
  expect(reopened).toMatchObject({
    oldRefresh: null,
    oldWrite: 'KEY_ROTATED',
    values: [0, 1, 2, 3, 4, 5].map((i) => ({ i })),
    refresh: 'rt-after-rotation-0001',
    pending: false,
  });
  expect(reopened.codes).toContain('KEY_ROTATED');
  await second.context.close();
  expect(attack(copyOf(dir)).learned).toBe(false);
});
