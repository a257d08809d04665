import { StrictMode, version } from 'react';
import { version as domVersion } from 'react-dom';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { render } from 'vitest-browser-react';
import { AuthSession, Strata } from 'strata-storage';
import { SessionProvider, sessionStore, useSession, useStrataValue } from 'strata-storage/react';
import { uniqueNamespace } from '../helpers.js';

const alice = {
  userId: 'u-alice',
  username: 'alice',
  roles: ['user'],
  permissions: ['cart:write'],
};
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
      <output data-testid="error">{session.error?.code ?? '-'}</output>
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
    const screen = await render(
      <SessionProvider auth={auth}>
        <Status seen={seen} />
      </SessionProvider>,
    );
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
    const screen = await render(
      <StrictMode>
        <SessionProvider auth={auth}>
          <Status seen={seen} />
        </SessionProvider>
      </StrictMode>,
    );
    await expect.element(screen.getByTestId('status')).toHaveTextContent('authenticated');
    expect(reads).toBe(1); // StrictMode runs the effect twice; both join one initialize()
    expect(seen.filter((s) => s === 'unauthenticated')).toEqual([]);
  });

  it('a session that cannot be read (wrong password) is unauthenticated with the error', async () => {
    const namespace = uniqueNamespace('react-wrong-password');
    const first = new Strata({
      namespace,
      defaultStorage: 'localStorage',
      encryption: { enabled: true, password: 'the right one' },
    });
    open.push(first);
    await first.set('x', 1);
    const storage = new Strata({
      namespace,
      defaultStorage: 'localStorage',
      encryption: { enabled: true, password: 'a wrong one' },
    });
    open.push(storage);
    const screen = await render(
      <SessionProvider auth={new AuthSession({ storage })}>
        <Status seen={[]} />
      </SessionProvider>,
    );
    await expect.element(screen.getByTestId('status')).toHaveTextContent('unauthenticated');
    await expect.element(screen.getByTestId('error')).toHaveTextContent('WRONG_PASSWORD');
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
    const screen = await render(
      <SessionProvider auth={auth}>
        <Status seen={[]} />
      </SessionProvider>,
    );
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
  function Cart({ store, cartKey = 'cart' }: { store: Strata; cartKey?: string }) {
    const [cart, setCart, error] = useStrataValue<string[]>(store, cartKey);
    return (
      <p>
        <output data-testid="cart">{cart === null ? 'empty' : cart.join(',')}</output>
        <output data-testid="error">{error?.code ?? '-'}</output>
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

  it('renders the stored value after two tabs write at once and the write heard last lost', async () => {
    const namespace = uniqueNamespace('react-race');
    const mono = { t: 0 };
    const settle: Array<() => void> = [];
    // This tab's clock runs 10 s behind, and its settle timer is fired by hand.
    const here = new Strata({
      namespace,
      defaultStorage: 'localStorage',
      sync: { enabled: true },
      clock: () => Date.now() - 10_000,
      timers: {
        monotonic: () => mono.t,
        setTimeout: (fn: () => void) => settle.push(fn),
        clearTimeout: () => undefined,
      },
    });
    open.push(here);
    const elsewhere = strata(namespace, true);
    await Promise.all([here.ready(), elsewhere.ready()]);
    const screen = await render(<Cart store={here} />);
    await expect.element(screen.getByTestId('cart')).toHaveTextContent('empty');
    await elsewhere.set('cart', ['theirs']);
    await here.set('cart', ['mine']); // stored last, but older by its stamp than the write it has not heard of yet
    await expect.element(screen.getByTestId('cart')).toHaveTextContent('theirs');
    // The settle checks, fired by hand until the stored value has stayed the same over three.
    await vi.waitFor(() => {
      for (const fire of settle.splice(0)) fire();
      expect(screen.getByTestId('cart').element().textContent).toBe('mine');
    });
    expect(await elsewhere.get('cart')).toEqual(['mine']);
  });

  it("on a key change shows null until the new key is read, and the setter never writes the old key's value under the new one", async () => {
    const namespace = uniqueNamespace('react-key');
    let gate: Promise<void> = Promise.resolve();
    /** Reads wait for the gate, as a slow IndexedDB would. */
    class SlowStrata extends Strata {
      override get<T = unknown>(key: string): Promise<T | null> {
        return gate.then(() => super.get<T>(key));
      }
    }
    const store = new SlowStrata({ namespace, defaultStorage: 'localStorage' });
    open.push(store);
    await store.set('user:cart', ['private-item']);
    const screen = await render(<Cart store={store} cartKey="user:cart" />);
    await expect.element(screen.getByTestId('cart')).toHaveTextContent('private-item');
    let open_ = (): void => undefined;
    gate = new Promise((resolve) => (open_ = resolve));
    await screen.rerender(<Cart store={store} cartKey="guest:cart" />);
    await expect.element(screen.getByTestId('cart')).toHaveTextContent('empty'); // not the user's items
    await screen.getByRole('button', { name: 'add' }).click();
    await expect.element(screen.getByTestId('cart')).toHaveTextContent('apple');
    open_(); // the slow read of guest:cart ends now: the newer change it missed stays shown
    await expect.element(screen.getByTestId('cart')).toHaveTextContent('apple');
    expect(await store.get('guest:cart')).toEqual(['apple']);
    expect(await store.get('user:cart')).toEqual(['private-item']);
  });

  it('gives the error of a read that fails, and no value', async () => {
    const store = strata();
    await store.close();
    const screen = await render(<Cart store={store} />);
    await expect.element(screen.getByTestId('error')).toHaveTextContent('CLOSED');
    await expect.element(screen.getByTestId('cart')).toHaveTextContent('empty');
  });
});
