// A fresh Vite + React + TypeScript app of the packed tarball (tests/e2e/fresh-app.ts
// installs it; package.spec.ts builds and opens it): the README's quick start as written
// (src/quick-start.ts, which fresh-app.ts writes from README.md), then the React bindings.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { AuthSession } from 'strata-storage';
import { SessionProvider, useSession } from 'strata-storage/react';
import { cart, errors, stop, store } from './quick-start.js';

// The quick start ran as written (it cleared its cart by tag): the rest goes on from there.
const afterClear = await store.get('session:cart');
stop();

// A change followed across a set and a clear by tag.
const changes: string[] = [];
const follow = store.subscribe('session:*', ({ key, newValue, source }) => {
  changes.push(`${source}:${key}:${newValue === null ? 'removed' : 'set'}`);
});
await store.set('session:cart', cart, { tags: ['cart'], ttl: 30 * 60_000, sliding: true });
const keys = await store.keys('session:');
const info = await store.info('session:cart');
await store.clear({ tags: ['cart'] });
follow();

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
