// Kept for its importers: the Chromium part of scripts/browsers.mjs (which finds all three engines).
export { CHROMIUM_ARGS, chromiumLaunchOptions, findChromium } from './browsers.mjs';
