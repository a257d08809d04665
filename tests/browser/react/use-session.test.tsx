import { StrictMode, version } from 'react';
import { version as domVersion } from 'react-dom';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { render } from 'vitest-browser-react';
import { AuthSession, Strata } from 'strata-storage';
import { SessionProvider, sessionStore, useSession, useStrataValue } from 'strata-storage/react';
import { uniqueNamespace } from '../helpers.js';

const alice = { userId: 'u-alice', username: 'alice', roles: ['user'], permissions: ['cart:write'] };
const open: Strata[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

function strata(namespace = uniqueNamespace('react'), sync = false): Strata {
  const store = new Strata({ namespace, defaultStorage: 'localStorage', sync: { enabled: sync } });
  open.push(store);
  return store;
}

/** Renders status, user and a permission check, and records every status it rendered. */
function Status({ seen }: { seen: string[] }) {
  const session = useSession();
  seen.push(session.status);
  return (
    <p>
      <output data-testid="status">{session.status}</output>
      <output data-testid="user">{session.session?.username ?? '-'}</output>
      <output data-testid="can-write">{String(session.hasPermission('cart:write'))}</output>
      <output data-testid="can-admin">{String(session.hasPermission('admin:write'))}</output>
      <button onClick={() => void session.logout()}>sign out</button>
    </p>
  );
}

it('runs on the React major its Vitest project installs (19, and 18 from tests/react18)', () => {
  expect(Number(version.split('.')[0])).toBe(inject('reactMajor'));
  expect(Number(domVersion.split('.')[0])).toBe(inject('reactMajor'));
});

describe('useSession', () => {
  it('goes loading → unauthenticated → authenticated → unauthenticated', async () => {
    const auth = new AuthSession({ storage: strata() });
    const seen: string[] = [];
    const screen = await render(<SessionProvider auth={auth}><Status seen={seen} /></SessionProvider>);
    await expect.element(screen.getByTestId('status')).toHaveTextContent('unauthenticated');
    await expect.element(screen.getByTestId('can-write')).toHaveTextContent('false');
    expect(seen[0]).toBe('loading');
    await auth.login(alice);
    await expect.element(screen.getByTestId('status')).toHaveTextContent('authenticated');
    await expect.element(screen.getByTestId('user')).toHaveTextContent('alice');
    await expect.element(screen.getByTestId('can-write')).toHaveTextContent('true');
    await expect.element(screen.getByTestId('can-admin')).toHaveTextContent('false');
    await screen.getByRole('button', { name: 'sign out' }).click();
    await expect.element(screen.getByTestId('status')).toHaveTextContent('unauthenticated');
    expect([...new Set(seen)]).toEqual(['loading', 'unauthenticated', 'authenticated']);
  });

  it('under StrictMode resolves once, without duplicate work or a stuck state', async () => {
    const storage = strata();
    await new AuthSession({ storage }).login(alice, { rememberMe: true });
    const auth = new AuthSession({ storage });
    let reads = 0;
    const original = auth.getSession.bind(auth);
    auth.getSession = () => (reads++, original());
    const seen: string[] = [];
    const screen = await render(<StrictMode><SessionProvider auth={auth}><Status seen={seen} /></SessionProvider></StrictMode>);
    await expect.element(screen.getByTestId('status')).toHaveTextContent('authenticated');
    expect(reads).toBeLessThanOrEqual(2); // StrictMode runs the effect twice; the state is read, never written twice
    expect(seen.filter((s) => s === 'unauthenticated')).toEqual([]);
  });

  it('unmounting unsubscribes from the session store', async () => {
    const auth = new AuthSession({ storage: strata() });
    const store = sessionStore(auth);
    let listeners = 0;
    const subscribe = store.subscribe;
    store.subscribe = (listener) => {
      listeners++;
      const stop = subscribe(listener);
      return () => (listeners--, stop());
    };
    const screen = await render(<SessionProvider auth={auth}><Status seen={[]} /></SessionProvider>);
    await expect.element(screen.getByTestId('status')).toHaveTextContent('unauthenticated');
    expect(listeners).toBe(1);
    await screen.unmount();
    expect(listeners).toBe(0);
    await auth.login(alice); // no render after unmount, no error
    expect(store.getState().status).toBe('authenticated');
  });

  it('outside a provider fails with a clear StrataError', async () => {
    function Orphan() {
      useSession();
      return null;
    }
    const errors: unknown[] = [];
    const onError = (event: ErrorEvent) => {
      errors.push(event.error);
      event.preventDefault();
    };
    window.addEventListener('error', onError);
    try {
      await render(<Orphan />).catch((error: unknown) => errors.push(error));
    } finally {
      window.removeEventListener('error', onError);
    }
    expect(errors.some((e) => (e as { code?: string }).code === 'INVALID_OPTIONS')).toBe(true);
  });
});

describe('useStrataValue', () => {
  function Cart({ store }: { store: Strata }) {
    const [cart, setCart] = useStrataValue<string[]>(store, 'cart');
    return (
      <p>
        <output data-testid="cart">{cart === null ? 'empty' : cart.join(',')}</output>
        <button onClick={() => void setCart([...(cart ?? []), 'apple'])}>add</button>
        <button onClick={() => void setCart(null)}>clear</button>
      </p>
    );
  }

  it('reads, writes and removes a value', async () => {
    const store = strata();
    await store.set('cart', ['pear']);
    const screen = await render(<Cart store={store} />);
    await expect.element(screen.getByTestId('cart')).toHaveTextContent('pear');
    await screen.getByRole('button', { name: 'add' }).click();
    await expect.element(screen.getByTestId('cart')).toHaveTextContent('pear,apple');
    expect(await store.get('cart')).toEqual(['pear', 'apple']);
    await screen.getByRole('button', { name: 'clear' }).click();
    await expect.element(screen.getByTestId('cart')).toHaveTextContent('empty');
    expect(await store.has('cart')).toBe(false);
  });

  it('follows a change made by another instance, as from another tab', async () => {
    const namespace = uniqueNamespace('react-sync');
    const here = strata(namespace, true);
    const elsewhere = strata(namespace, true);
    await Promise.all([here.ready(), elsewhere.ready()]);
    const screen = await render(<Cart store={here} />);
    await expect.element(screen.getByTestId('cart')).toHaveTextContent('empty');
    await elsewhere.set('cart', ['plum']);
    await expect.element(screen.getByTestId('cart')).toHaveTextContent('plum');
  });
});
