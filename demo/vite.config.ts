import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The demo runs from source: 'strata-storage' and 'strata-storage/react' resolve to src/.
// /api goes to the app API that scripts/start.mjs starts next to the provider, on its port.
const src = (path: string): string => fileURLToPath(new URL(`../src/${path}`, import.meta.url));
const authPort = process.env.DEMO_AUTH_PORT ?? '5174';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  // The authorization server the page signs in at (server/oidc-demo.mjs).
  define: { __DEMO_ISSUER__: JSON.stringify(`http://127.0.0.1:${authPort}`) },
  resolve: {
    alias: {
      'strata-storage/react': src('react/index.ts'),
      'strata-storage/oauth': src('oauth/index.ts'),
      'strata-storage': src('index.ts'),
    },
  },
  // Pre-bundled up front so a first visit never reloads the page to optimize a late dependency.
  optimizeDeps: {
    include: [
      'react',
      'react-dom/client',
      'react/jsx-dev-runtime',
      'zustand/vanilla',
      'oauth4webapi',
    ],
  },
  server: {
    host: '127.0.0.1',
    strictPort: true,
    proxy: { '/api': `http://127.0.0.1:${authPort}` },
  },
  clearScreen: false,
});
