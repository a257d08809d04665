import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// A consumer app that installs strata-storage the way users do: a node_modules entry
// pointing at the package root, resolved through its `exports` map to the built `dist/`.
// No aliases: if the map or the build is wrong, this page fails to load.
const here = fileURLToPath(new URL('.', import.meta.url));
const installed = `${here}node_modules/strata-storage`;
if (!existsSync(installed)) {
  mkdirSync(`${here}node_modules`, { recursive: true });
  symlinkSync(fileURLToPath(new URL('../../..', import.meta.url)), installed, 'dir');
}

export default defineConfig({
  root: here,
  // No HMR and no file watching: an edit must never reload or restart under a test.
  server: { host: '127.0.0.1', strictPort: true, hmr: false, watch: null },
  // Bundled before the first page loads: a dependency found late makes Vite re-bundle and
  // answer the modules already requested with 504, which Firefox reports as a MIME error.
  optimizeDeps: { include: ['broadcast-channel', 'zustand/vanilla', 'react', 'react-dom/client'] },
  logLevel: 'warn',
  clearScreen: false,
});
