import { fileURLToPath } from 'node:url';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { chromiumLaunchOptions } from './scripts/chromium.mjs';

const src = (path: string): string => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

/** Tests import the public entries by their published names. */
const alias = {
  'strata-storage/react': src('react/index.ts'),
  'strata-storage/broadcast-channel': src('broadcast-channel.ts'),
  'strata-storage': src('index.ts'),
};

export default defineConfig(({ mode }) => ({
  resolve: { alias },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    minify: false,
    lib: {
      entry: { index: src('index.ts'), react: src('react/index.ts'), 'broadcast-channel': src('broadcast-channel.ts') },
      formats: ['es'],
    },
    rollupOptions: {
      external: [/^broadcast-channel(\/|$)/, /^zustand(\/|$)/, /^react(\/|$)/, /^react-dom(\/|$)/],
    },
  },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'node',
          include: ['tests/unit/**/*.test.ts', 'tests/server/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['tests/setup/auth-server.global.ts'],
        },
      },
      {
        resolve: { alias },
        optimizeDeps: { include: ['broadcast-channel', 'zustand', 'react', 'react-dom/client', 'react/jsx-dev-runtime', 'vitest-browser-react', 'fast-check'] },
        test: {
          name: 'chromium',
          include: ['tests/browser/**/*.test.ts', 'tests/browser/**/*.test.tsx'],
          testTimeout: 30_000,
          globalSetup: ['tests/setup/auth-server.global.ts'],
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({ launchOptions: mode === 'test' ? chromiumLaunchOptions() : {} }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
}));
