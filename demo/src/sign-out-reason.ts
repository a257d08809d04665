import { useEffect, useRef, useState } from 'react';
import { auth, tokens } from './sdk.js';

/** Why this tab is signed out, when it was signed in before. */
export type SignOutReason = 'here' | 'other-tab' | 'refused' | 'key-lost' | 'evicted' | 'expired';

/** What each reason means, as the page says it. */
export const REASONS: Record<SignOutReason, string> = {
  here: 'You signed out in this tab; the provider revoked the refresh token.',
  'other-tab': 'You were signed out in another tab: its sign-out reached this one.',
  refused:
    'The provider refused the refresh token (revoked, expired, or reused), so every tab signed out.',
  'key-lost': 'The DPoP key or the device key is gone, so the tokens bound to it are useless.',
  evicted: "The browser deleted this site's storage (eviction), and the session with it.",
  expired: 'Your session expired.',
};

/**
 * The reason of the last sign-out of this tab: from the TokenManager's `cleared` event and the
 * AuthSession's `evicted` state; a session that ended without either expired.
 */
export function useSignOutReason(): SignOutReason | null {
  const [reason, setReason] = useState<SignOutReason | null>(null);
  const heard = useRef<SignOutReason | null>(null);
  useEffect(() => {
    let signedIn = auth.getState().status === 'authenticated';
    const hear = (next: SignOutReason) => {
      heard.current = next;
      if (!signedIn) setReason(next); // the event came after the state changed
    };
    const stops = [
      tokens.on('cleared', ({ reason: cleared }) =>
        hear(
          cleared === 'logout'
            ? 'here'
            : cleared === 'remote'
              ? 'other-tab'
              : cleared === 'invalid_grant'
                ? 'refused'
                : 'key-lost',
        ),
      ),
      auth.subscribe((state) => {
        if (state.status === 'authenticated') {
          signedIn = true;
          heard.current = null;
          setReason(null);
        } else if (state.status === 'unauthenticated') {
          if (state.reason === 'evicted') heard.current = 'evicted';
          if (signedIn || state.reason === 'evicted') setReason(heard.current ?? 'expired');
          signedIn = false;
        }
      }),
    ];
    return () => stops.forEach((stop) => stop());
  }, []);
  return reason;
}
