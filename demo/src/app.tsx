import { useEffect, useState } from 'react';
import { useSession } from 'strata-storage/react';
import { Cart } from './cart.js';
import type { MergeNote } from './callback.js';
import { SignIn } from './sign-in.js';
import { useSignOutReason } from './sign-out-reason.js';
import { StorageInspector } from './storage-inspector.js';
import { tokens } from './sdk.js';
import { TokenPanel } from './token-panel.js';

/** How this page load's sign-in callback went (`null`: the page was not a callback). */
export type Callback = Promise<MergeNote> | null;

/** The demo page: account, cart, tokens and what sits in browser storage. */
export function App(props: { callback: Callback }) {
  const { status, session, logout } = useSession();
  const reason = useSignOutReason();
  const [completing, setCompleting] = useState(props.callback !== null);
  const [merge, setMerge] = useState<MergeNote | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    props.callback
      ?.then(
        (note) => setMerge(note),
        (failure: { code?: string; message?: string }) =>
          setError(`Sign-in failed (${failure.code ?? 'error'}): ${failure.message ?? ''}`),
      )
      .finally(() => setCompleting(false));
  }, [props.callback]);
  useEffect(() => {
    if (status !== 'authenticated') return;
    tokens.start(); // proactive refresh while signed in
    return () => tokens.stop();
  }, [status]);
  const name = typeof session?.name === 'string' ? session.name : session?.userId;
  return (
    <main>
      <header>
        <h1>strata-storage demo</h1>
        <p className="status" data-testid="auth-status" data-status={status}>
          {status === 'authenticated'
            ? `Signed in as ${name}${session?.rememberMe ? ' (remembered)' : ''}`
            : status === 'loading' || completing
              ? 'Loading…'
              : 'Signed out'}
        </p>
        {status === 'authenticated' && (
          <button onClick={() => void logout().catch(() => undefined)}>Sign out everywhere</button>
        )}
      </header>
      <div className="grid">
        {status !== 'authenticated' && (
          <SignIn completing={completing} error={error} reason={reason} />
        )}
        <Cart merge={merge} />
        {status === 'authenticated' && <TokenPanel />}
        <StorageInspector />
      </div>
    </main>
  );
}
