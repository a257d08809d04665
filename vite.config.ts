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

/**
 * The React tests run a second time against React 18, installed by the workspace
 * `tests/react18` (`react` is a peer `>=18`, so both majors are proven).
 */
const react18Modules = fileURLToPath(new URL('./tests/react18/node_modules/', import.meta.url));
const react18 = [
  { find: /^(react|react-dom)(\/.*)?$/, replacement: `${react18Modules}$1$2` },
  ...Object.entries(alias).map(([find, replacement]) => ({ find, replacement })),
];

export default defineConfig(({ mode }) => {
  /** Vitest browser mode in the Chromium found by scripts/chromium.mjs (a fresh object per project: Vitest names its instances in place). */
  const browser = () => ({
    enabled: true,
    headless: true,
    screenshotFailures: false,
    provider: playwright({ launchOptions: mode === 'test' ? chromiumLaunchOptions() : {} }),
    instances: [{ browser: 'chromium' as const }],
  });
  return {
    resolve: { alias },
    build: {
      outDir: 'dist',
      emptyOutDir: true,
      sourcemap: true,
      minify: false,
      lib: {
        entry: {
          index: src('index.ts'),
          react: src('react/index.ts'),
          'broadcast-channel': src('broadcast-channel.ts'),
        },
        formats: ['es'],
      },
      rollupOptions: {
        external: [
          /^broadcast-channel(\/|$)/,
          /^zustand(\/|$)/,
          /^react(\/|$)/,
          /^react-dom(\/|$)/,
        ],
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
            provide: { reactMajor: 19 },
          },
        },
        {
          resolve: { alias: react18 },
          test: {
            name: 'node-react18',
            include: ['tests/unit/react-ssr.test.ts'],
            environment: 'node',
            provide: { reactMajor: 18 },
          },
        },

        {
          resolve: { alias },
          optimizeDeps: {
            include: [
              'broadcast-channel',
              'zustand',
              'react',
              'react-dom/client',
              'react/jsx-dev-runtime',
              'vitest-browser-react',
              'fast-check',
            ],
          },
          test: {
            name: 'chromium',
            include: ['tests/browser/**/*.test.ts', 'tests/browser/**/*.test.tsx'],
            testTimeout: 30_000,
            globalSetup: ['tests/setup/auth-server.global.ts'],
            provide: { reactMajor: 19 },
            browser: browser(),
          },
        },
        {
          resolve: { alias: react18 },
          optimizeDeps: {
            include: [
              'zustand',
              'react',
              'react-dom/client',
              'react/jsx-dev-runtime',
              'vitest-browser-react',
            ],
          },
          test: {
            name: 'chromium-react18',
            include: ['tests/browser/react/**/*.test.tsx'],
            testTimeout: 30_000,
            provide: { reactMajor: 18 },
            browser: browser(),
          },
        },
      ],
    },
  };
});
