import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Serves the harness page. STRATA_DIST=1 runs the same tests against the built package.
const root = fileURLToPath(new URL('../../..', import.meta.url));
const entry = process.env.STRATA_DIST === '1' ? `${root}dist/index.js` : `${root}src/index.ts`;

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: { alias: { 'strata-storage': entry } },
  server: { host: '127.0.0.1', strictPort: true, fs: { allow: [root] } },
  logLevel: 'warn',
  clearScreen: false,
});
