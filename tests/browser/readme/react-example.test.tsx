import type { ComponentType } from 'react';
import { afterEach, expect, it } from 'vitest';
import { render } from 'vitest-browser-react';
import { AuthSession, type SessionUser } from 'strata-storage';
import { SessionProvider } from 'strata-storage/react';
import { makeStrata } from '../helpers.js';
import { runReadmeBlock } from './run-block.js';

// The README's React example runs as written (run-block.ts): its Account component, rendered
// under a SessionProvider, with the preamble's SignIn and Spinner provided here.
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const alice: SessionUser = { userId: 'u-alice', username: 'alice' };
Object.assign(globalThis, {
  App: () => null,
  Spinner: () => <output>loading</output>,
  SignIn: ({ onSubmit }: { onSubmit: (user: SessionUser) => Promise<void> }) => (
    <button onClick={() => void onSubmit(alice)}>Sign in</button>
  ),
});

it('the React example runs as written: SignIn signs in, the button shows the user and signs out', async () => {
  const { strata } = makeStrata({ defaultStorage: 'localStorage' });
  const auth = new AuthSession({ storage: strata });
  Object.assign(globalThis, { auth });
  cleanups.push(async () => {
    auth.dispose();
    await strata.close();
  });
  const { exports, remove } = await runReadmeBlock<{ Account: ComponentType }>('react', [
    'Account',
  ]);
  cleanups.push(remove);
  const { Account } = exports;
  const screen = await render(
    <SessionProvider auth={auth}>
      <Account />
    </SessionProvider>,
  );
  await screen.getByRole('button', { name: 'Sign in' }).click();
  await expect.element(screen.getByRole('button', { name: 'Sign out alice' })).toBeVisible();
  expect(auth.getState()).toMatchObject({ status: 'authenticated', session: alice });
  await screen.getByRole('button', { name: 'Sign out alice' }).click();
  await expect.element(screen.getByRole('button', { name: 'Sign in' })).toBeVisible();
  expect(auth.getState().status).toBe('unauthenticated');
});
