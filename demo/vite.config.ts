import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The demo runs from source: 'strata-storage' and 'strata-storage/react' resolve to src/.
// /api goes to the reference auth server that scripts/start.mjs starts next to it.
const src = (path: string): string => fileURLToPath(new URL(`../src/${path}`, import.meta.url));
const authPort = process.env.DEMO_AUTH_PORT ?? '5174';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  resolve: {
    alias: { 'strata-storage/react': src('react/index.ts'), 'strata-storage': src('index.ts') },
  },
  // Pre-bundled up front so a first visit never reloads the page to optimize a late dependency.
  optimizeDeps: {
    include: ['react', 'react-dom/client', 'react/jsx-dev-runtime', 'zustand/vanilla'],
  },
  server: {
    host: '127.0.0.1',
    strictPort: true,
    proxy: { '/api': `http://127.0.0.1:${authPort}` },
  },
  clearScreen: false,
});
