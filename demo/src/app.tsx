import { useEffect } from 'react';
import { useSession } from 'strata-storage/react';
import { Cart } from './cart.js';
import { SignIn } from './sign-in.js';
import { StorageInspector } from './storage-inspector.js';
import { tokens } from './sdk.js';
import { TokenPanel } from './token-panel.js';

/** The demo page: account, cart, tokens and what sits in browser storage. */
export function App() {
  const { status, session, logout } = useSession();
  useEffect(() => {
    if (status !== 'authenticated') return;
    tokens.start(); // proactive refresh while signed in
    return () => tokens.stop();
  }, [status]);
  return (
    <main>
      <header>
        <h1>strata-storage demo</h1>
        <p className="status" data-testid="auth-status" data-status={status}>
          {status === 'authenticated'
            ? `Signed in as ${session?.name ?? session?.userId}${session?.rememberMe ? ' (remembered)' : ''}`
            : status === 'loading'
              ? 'Loading…'
              : 'Signed out'}
        </p>
        {status === 'authenticated' && (
          <button onClick={() => void logout()}>Sign out everywhere</button>
        )}
      </header>
      <div className="grid">
        {status === 'unauthenticated' && <SignIn />}
        <Cart />
        {status === 'authenticated' && <TokenPanel />}
        <StorageInspector />
      </div>
    </main>
  );
}
