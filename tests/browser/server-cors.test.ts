// Security issue 16: a page on another origin must not log in to the reference auth server,
// nor refresh with a token it got hold of. The browser enforces CORS here, not a mock: the
// foreign page is the test page's own server under its other loopback name.
import { afterEach, expect, inject, test } from 'vitest';
import { login, stats, uniqueUser } from '../setup/auth-client.js';

const url = inject('authServerUrl');
const foreignHost = location.hostname === 'localhost' ? '127.0.0.1' : 'localhost';
const foreignOrigin = `${location.protocol}//${foreignHost}:${location.port}`;

/** What the foreign page could read of an answer: its status and body, or the fetch error. */
type Reading = { status: number; text: string } | { error: string };

let frame: HTMLIFrameElement | undefined;
afterEach(() => frame?.remove());

/** Opens the foreign page; the function it answers runs a fetch there and resolves with what it could read. */
async function foreignPage(): Promise<(target: string, init?: RequestInit) => Promise<Reading>> {
  const iframe = document.createElement('iframe');
  frame = iframe;
  const ready = new Promise<void>((resolve) => {
    const onReady = (event: MessageEvent) => {
      if (event.source !== iframe.contentWindow || !event.data?.ready) return;
      removeEventListener('message', onReady);
      resolve();
    };
    addEventListener('message', onReady);
  });
  iframe.src = `${foreignOrigin}/tests/browser/fixtures/foreign-page.html`;
  document.body.append(iframe);
  await ready;
  let next = 0;
  return (target, init = {}) => {
    const id = ++next;
    return new Promise((resolve) => {
      const onAnswer = (event: MessageEvent) => {
        if (event.source !== iframe.contentWindow || event.data?.id !== id) return;
        removeEventListener('message', onAnswer);
        const { id: _id, ...reading } = event.data as Reading & { id: number };
        resolve(reading);
      };
      addEventListener('message', onAnswer);
      iframe.contentWindow!.postMessage({ id, url: target, init }, foreignOrigin);
    });
  };
}

const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(body),
});
/** The browser's answer to a cross-origin read the server did not allow: a network error, no status. */
const refused = { error: expect.any(String) };
// A "simple" request: no preflight, so only the server's refusal keeps it from acting.
const simple = (body: unknown): RequestInit => ({ method: 'POST', body: JSON.stringify(body) });

test('a page on another origin can neither log in nor read an answer', async () => {
  expect(foreignOrigin).not.toBe(location.origin);
  const send = await foreignPage();
  // The relay works: the foreign page reads what its own origin serves.
  expect(await send(`${foreignOrigin}/tests/browser/fixtures/foreign-page.html`)).toMatchObject({
    status: 200,
  });
  const username = uniqueUser('foreign');
  for (const init of [
    json({ username, password: 'password' }),
    simple({ username, password: 'password' }),
  ]) {
    expect(await send(`${url}/api/auth/login`, init)).toEqual(refused);
  }
  expect(await stats(url, username)).toMatchObject({ logins: 0 });
});

test('a page on another origin cannot refresh with a refresh token it holds', async () => {
  const username = uniqueUser('foreign-refresh');
  const { tokens } = await login(url, username);
  const send = await foreignPage();
  for (const init of [
    json({ refreshToken: tokens.refreshToken }),
    simple({ refreshToken: tokens.refreshToken }),
  ]) {
    expect(await send(`${url}/api/auth/refresh`, init)).toEqual(refused);
  }
  // Refused before the route: the token was not spent, so its owner still refreshes once.
  expect(await stats(url, username)).toMatchObject({ refreshRequests: 0, refreshes: 0 });
  const rotated = await fetch(
    `${url}/api/auth/refresh`,
    json({ refreshToken: tokens.refreshToken }),
  );
  expect(rotated.status).toBe(200);
});
