// The built package as an app imports it: every entry through the exports map.
import * as core from 'strata-storage';
import * as react from 'strata-storage/react';
import * as fallback from 'strata-storage/broadcast-channel';
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';

declare global {
  interface Window {
    core: typeof core;
    react: typeof react;
    fallback: typeof fallback;
    dom: { createElement: typeof createElement; createRoot: typeof createRoot };
    t: Record<string, unknown>;
  }
}

window.core = core;
window.react = react;
window.fallback = fallback;
window.dom = { createElement, createRoot };
window.t = {};
document.getElementById('status')!.textContent = 'ready';
