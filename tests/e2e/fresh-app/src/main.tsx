// A fresh Vite + React + TypeScript app of the packed tarball (tests/e2e/fresh-app.ts
// installs it; package.spec.ts builds and opens it): the README's quick start as written,
// then the React bindings.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { AuthSession, Strata } from 'strata-storage';
import { SessionProvider, useSession } from 'strata-storage/react';

const errors: string[] = [];
const report = (code: string): void => void errors.push(code);

// The quick start (README, "Quick start").
const store = new Strata({
  namespace: 'shop',
  defaultStorage: 'indexedDB',
  fallbackStorage: ['localStorage'], // memory is always the last resort
  encryption: { enabled: true }, // device key; or { enabled: true, password } / { key }
  ttl: { default: 24 * 60 * 60 * 1000, cleanupInterval: 60_000 },
  sync: { enabled: true }, // every tab sees every change
});
await store.ready(); // rejects with code WRONG_PASSWORD on a wrong password
console.log(store.storage); // the layer actually in use, e.g. 'indexedDB'

const changes: string[] = [];
const stop = store.subscribe('session:*', ({ key, newValue, source }) => {
  changes.push(`${source}:${key}:${newValue === null ? 'removed' : 'set'}`);
});
store.on('error', (error) => report(error.code)); // tampered records, failed sweeps, …
store.on('fallback', ({ from, to }) => console.warn(`storage moved from ${from} to ${to}`));

await store.set('session:cart', [{ id: 'sku-1', qty: 2 }], {
  tags: ['cart'],
  ttl: 30 * 60_000,
  sliding: true,
});
const cart = await store.get<Array<{ id: string; qty: number }>>('session:cart');
const keys = await store.keys('session:'); // prefix; 'session:*' works too
const info = await store.info('session:cart'); // { encrypted, sliding, ttl, expiresIn, layer }
await store.clear({ tags: ['cart'] }); // or { prefix: 'session:' }, or both (AND)
const afterClear = await store.get('session:cart');
stop();

document.getElementById('result')!.textContent = JSON.stringify({
  storage: store.storage,
  cart,
  keys,
  info: info && { encrypted: info.encrypted, sliding: info.sliding, layer: info.layer },
  afterClear,
  changes,
  errors,
});

// The React bindings over a session of the same store.
const auth = new AuthSession({ storage: store });
function Account() {
  const { status, session, logout } = useSession();
  if (status === 'loading') return <p id="session">loading</p>;
  return status === 'authenticated' ? (
    <button id="session" onClick={() => void logout()}>
      Sign out {session?.username}
    </button>
  ) : (
    <p id="session">{status}</p>
  );
}
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <SessionProvider auth={auth}>
      <Account />
    </SessionProvider>
  </StrictMode>,
);
document.getElementById('status')!.textContent = 'ready';
