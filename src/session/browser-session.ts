import { randomHex } from '../codec/base64.js';

const COOKIE = 'strata_bsid';

/**
 * An id that lives exactly as long as the browser session: kept in a session cookie (no
 * expiry, shared by every tab, dropped when the browser closes). A session signed in
 * without "remember me" records it, and is dropped once the id changes. Falls back to
 * `sessionStorage` (per tab) where cookies are off; `null` outside a browser.
 */
export function browserSessionId(): string | null {
  if (typeof document === 'undefined') return null;
  try {
    const existing = readCookie();
    if (existing) return existing;
    const id = randomHex(16);
    document.cookie = `${COOKIE}=${id}; path=/; SameSite=Strict${location.protocol === 'https:' ? '; Secure' : ''}`;
    if (readCookie() === id) return id;
    return sessionStorageId(id);
  } catch {
    return null;
  }
}

function readCookie(): string | undefined {
  const pair = document.cookie.split('; ').find((entry) => entry.startsWith(`${COOKIE}=`));
  return pair?.slice(COOKIE.length + 1) || undefined;
}

function sessionStorageId(candidate: string): string | null {
  const existing = sessionStorage.getItem(COOKIE);
  if (existing) return existing;
  sessionStorage.setItem(COOKIE, candidate);
  return candidate;
}
