import { migrateGuestToUser, mergeArrayBy } from 'strata-storage';
import { auth, cartKey, oauth, store, type CartItem } from './sdk.js';

/** What the sign-in did to the carts, for the note the cart shows. */
export interface MergeNote {
  /** Lines of the guest cart added to a line the user already had: name, guest qty, now. */
  added: Array<{ name: string; guest: number; total: number }>;
  /** Guest lines the user did not have, moved as they were. */
  moved: Array<{ name: string; qty: number }>;
}

/** Whether "remember me" was ticked before the browser went to the provider. */
const REMEMBER = 'demo:remember-me';

/** Sends the browser to the provider's login page (prompt=login: always asks, even if it knows you). */
export async function startSignIn(rememberMe: boolean): Promise<void> {
  sessionStorage.setItem(REMEMBER, rememberMe ? '1' : '0');
  location.assign(await oauth.authorizationUrl({ prompt: 'login' }));
}

/** Whether this page load is the provider sending the browser back. */
export const isCallback = (): boolean => new URL(location.href).searchParams.has('state');

/**
 * Completes a sign-in on the redirect back from the provider: `handleCallback` (state, iss, the
 * code exchange with DPoP, the id_token), then the guest cart merged into the user's, then
 * `loginFromCallback`. Resolves with what merged; the URL loses its code either way.
 */
export async function completeSignIn(): Promise<MergeNote> {
  const href = location.href;
  history.replaceState(null, '', location.pathname); // the code is spent: never keep it around
  const result = await oauth.handleCallback(href);
  const userId = String(result.claims?.sub ?? '');
  const guest = (await store.get<CartItem[]>(cartKey(undefined))) ?? [];
  const mine = (await store.get<CartItem[]>(cartKey(userId))) ?? [];
  await migrateGuestToUser(store, userId, {
    merge: {
      cart: mergeArrayBy<CartItem>('id', (fromGuest, existing) => ({
        ...existing,
        qty: existing.qty + fromGuest.qty,
      })),
    },
  });
  await auth.loginFromCallback(result, { rememberMe: sessionStorage.getItem(REMEMBER) === '1' });
  sessionStorage.removeItem(REMEMBER);
  const note: MergeNote = { added: [], moved: [] };
  for (const line of guest) {
    const existing = mine.find((item) => item.id === line.id);
    if (existing)
      note.added.push({ name: line.name, guest: line.qty, total: existing.qty + line.qty });
    else note.moved.push({ name: line.name, qty: line.qty });
  }
  return note;
}
