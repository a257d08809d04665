// A blank page of the test origin with the public entry on `window.S`: the multi-tab
// tests drive several of these pages with Playwright.
import * as S from 'strata-storage';

declare global {
  interface Window {
    S: typeof S;
    /** Scratch space the tests use between evaluate calls. */
    t: Record<string, unknown>;
  }
}

window.S = S;
window.t = {};
document.getElementById('status')!.textContent = 'ready';
