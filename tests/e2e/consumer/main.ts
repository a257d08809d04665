// The built package as an app imports it: both entries through the exports map.
import * as core from 'strata-storage';
import * as react from 'strata-storage/react';
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';

declare global {
  interface Window {
    core: typeof core;
    react: typeof react;
    dom: { createElement: typeof createElement; createRoot: typeof createRoot };
    t: Record<string, unknown>;
  }
}

window.core = core;
window.react = react;
window.dom = { createElement, createRoot };
window.t = {};
document.getElementById('status')!.textContent = 'ready';
