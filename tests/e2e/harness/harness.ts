// A blank page of the test origin with the public entry on `window.S` (and the opt-in
// channel fallback on `window.F`): the multi-tab tests drive several of these pages with Playwright.
import * as S from 'strata-storage';
import * as F from 'strata-storage/broadcast-channel';

declare global {
  interface Window {
    S: typeof S;
    F: typeof F;
    /** Scratch space the tests use between evaluate calls. */
    t: Record<string, unknown>;
  }
}

window.S = S;
window.F = F;
window.t = {};
document.getElementById('status')!.textContent = 'ready';
