import { fileURLToPath } from 'node:url';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { chromiumLaunchOptions } from './scripts/browsers.mjs';
import { puppeteerFirefox } from './tests/setup/puppeteer-provider.js';
import { webkitGtk } from './tests/setup/webkit-provider.js';

const src = (path: string): string => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

/** Tests import the public entries by their published names. */
const alias = {
  'strata-storage/react': src('react/index.ts'),
  'strata-storage/broadcast-channel': src('broadcast-channel.ts'),
  'strata-storage/oauth': src('oauth/index.ts'),
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
  type Engine = 'chromium' | 'firefox' | 'webkit';
  /**
   * Vitest browser mode in one engine (a fresh object per project: Vitest names its
   * instances in place). `private`: Firefox private browsing, WebKit's ephemeral session.
   * Chromium through Playwright (the binary found by scripts/browsers.mjs), Firefox through
   * puppeteer-core over WebDriver BiDi, WebKitGTK through webdriverio and WebKitWebDriver.
   */
  /**
   * With $STRATA_VITEST_PORT (scripts/test.mjs sets it), each browser project gets its own API
   * port (its page origin, which globalSetup files read), so the engines' runs can share a
   * machine: + 0/1 (chromium, -react18), + 10/11/12 (firefox, -react18, -private), + 20/21/22
   * (webkit, -react18, -ephemeral). Without it Vitest's default (or `--browser.api.port`) applies.
   */
  const portBase = process.env.STRATA_VITEST_PORT ? Number(process.env.STRATA_VITEST_PORT) : 0;
  const api = (engine: Engine, variant: 0 | 1 | 2) =>
    portBase
      ? {
          api: {
            port: portBase + { chromium: 0, firefox: 10, webkit: 20 }[engine] + variant,
            strictPort: true,
          },
        }
      : {};
  const browser = (engine: Engine, variant: 0 | 1 | 2, options: { private?: boolean } = {}) => ({
    enabled: true,
    ...api(engine, variant),
    headless: true,
    screenshotFailures: false,
    provider:
      engine === 'chromium'
        ? playwright({ launchOptions: mode === 'test' ? chromiumLaunchOptions() : {} })
        : engine === 'firefox'
          ? puppeteerFirefox({ privateBrowsing: options.private ?? false })
          : webkitGtk({ ephemeral: options.private ?? false }),
    instances: [{ browser: engine }],
  });
  const browserDeps = [
    'broadcast-channel',
    'zustand',
    'react',
    'react-dom/client',
    'react/jsx-dev-runtime',
    'vitest-browser-react',
    'fast-check',
    'idb',
    'oauth4webapi',
  ];
  /** The suites whose subject is a storage kind: they run again in private browsing. */
  const storageSuites = [
    'tests/browser/adapters/**/*.test.ts',
    'tests/browser/fallback.test.ts',
    'tests/browser/reliability/storage-disabled.test.ts',
    'tests/browser/reliability/quota.test.ts',
    'tests/browser/engine-facts.test.ts',
  ];
  const setupFiles = ['tests/setup/fresh-cookies.ts'];
  /** Per engine: every browser test, the React tests on React 18, and (not in Chromium) the storage suites in private mode. */
  const browserProjects = (engine: Engine) => [
    {
      resolve: { alias },
      optimizeDeps: { include: browserDeps },
      test: {
        name: engine,
        include: ['tests/browser/**/*.test.ts', 'tests/browser/**/*.test.tsx'],
        testTimeout: 30_000,
        setupFiles,
        globalSetup: ['tests/setup/auth-server.global.ts', 'tests/setup/oidc-provider.global.ts'],
        provide: { reactMajor: 19, engine, privateMode: false },
        browser: browser(engine, 0),
      },
    },
    {
      resolve: { alias: react18 },
      optimizeDeps: {
        include: browserDeps.filter((dep) => dep !== 'broadcast-channel' && dep !== 'fast-check'),
      },
      test: {
        name: `${engine}-react18`,
        include: ['tests/browser/react/**/*.test.tsx'],
        testTimeout: 30_000,
        setupFiles,
        provide: { reactMajor: 18, engine, privateMode: false },
        browser: browser(engine, 1),
      },
    },
    ...(engine === 'chromium'
      ? []
      : [
          {
            resolve: { alias },
            optimizeDeps: { include: browserDeps },
            test: {
              name: engine === 'firefox' ? 'firefox-private' : 'webkit-ephemeral',
              include: storageSuites,
              testTimeout: 30_000,
              setupFiles,
              provide: { reactMajor: 19, engine, privateMode: true },
              browser: browser(engine, 2, { private: true }),
            },
          },
        ]),
  ];
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
          oauth: src('oauth/index.ts'),
        },
        formats: ['es'],
      },
      rollupOptions: {
        external: [
          /^broadcast-channel(\/|$)/,
          /^zustand(\/|$)/,
          /^react(\/|$)/,
          /^react-dom(\/|$)/,
          /^oauth4webapi(\/|$)/,
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
            // Property tests run hundreds of cases; browsers share the 2 cores meanwhile.
            testTimeout: 30_000,
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

        ...browserProjects('chromium'),
        ...browserProjects('firefox'),
        ...browserProjects('webkit'),
      ],
    },
  };
});
