import { useState, type FormEvent } from 'react';
import { migrateGuestToUser, mergeArrayBy } from 'strata-storage';
import { useSession } from 'strata-storage/react';
import { store, type CartItem } from './sdk.js';

/** Signs in against the reference server, then merges the guest cart into the user's. */
export function SignIn() {
  const { login } = useSession();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      const response = await fetch('/api/auth/login', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          username: form.get('username'),
          password: form.get('password'),
          rememberMe: form.get('remember') === 'on',
        }),
      });
      if (!response.ok) {
        setError('Wrong username or password.');
        return;
      }
      const { user, tokens } = await response.json();
      await migrateGuestToUser(store, user.id, {
        merge: {
          cart: mergeArrayBy<CartItem>('id', (guest, mine) => ({
            ...mine,
            qty: mine.qty + guest.qty,
          })),
        },
      });
      await login(
        { ...user, userId: user.id, username: form.get('username') as string },
        { rememberMe: form.get('remember') === 'on', tokens },
      );
    } catch {
      setError('The sign-in request failed.');
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card">
      <h2>Sign in</h2>
      <form onSubmit={(event) => void submit(event)}>
        <label>
          Username <input name="username" defaultValue="alice" autoComplete="username" required />
        </label>
        <label>
          Password{' '}
          <input
            name="password"
            type="password"
            defaultValue="password"
            autoComplete="current-password"
            required
          />
        </label>
        <label className="inline">
          <input name="remember" type="checkbox" /> Remember me (30 days)
        </label>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
      </form>
      <p className="hint">
        Demo user: alice / password. Items you add as a guest move to your cart when you sign in.
      </p>
    </section>
  );
}
