import { useState } from 'react';
import { startSignIn } from './callback.js';
import { REASONS, type SignOutReason } from './sign-out-reason.js';

/**
 * Signs in at the demo's authorization server (oidc-provider): the browser goes to its login
 * page and comes back with a code. Says why this tab was signed out, when it was.
 */
export function SignIn(props: {
  completing: boolean;
  error: string | null;
  reason: SignOutReason | null;
}) {
  const [remember, setRemember] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function go() {
    setBusy(true);
    setError(null);
    try {
      await startSignIn(remember);
    } catch {
      setError('The authorization server did not answer. Is `npm start` running?');
      setBusy(false);
    }
  }

  return (
    <section className="card">
      <h2>Sign in</h2>
      {props.reason && (
        <p className="note" data-testid="signed-out-reason" data-reason={props.reason}>
          {REASONS[props.reason]}
        </p>
      )}
      <p>
        The demo signs in at its authorization server (oidc-provider on this machine): you type the
        password on the provider&apos;s page, and the demo gets DPoP-bound tokens back.
      </p>
      <label className="inline">
        <input
          type="checkbox"
          checked={remember}
          onChange={(event) => setRemember(event.target.checked)}
        />{' '}
        Remember me (30 days)
      </label>
      <div className="buttons">
        <button onClick={() => void go()} disabled={busy || props.completing}>
          {props.completing ? 'Completing sign-in…' : 'Sign in with the demo provider'}
        </button>
      </div>
      {(error ?? props.error) && (
        <p className="error" role="alert">
          {error ?? props.error}
        </p>
      )}
      <p className="hint">
        Demo user: alice / password. Items you add as a guest move to your cart when you sign in.
      </p>
    </section>
  );
}
