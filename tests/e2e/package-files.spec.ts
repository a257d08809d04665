import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';

// The built package judged without a browser (Playwright project `node`): what each entry
// imports, and the declarations a consumer type-checks against. Its pages: package.spec.ts.
test('the core entry pulls in neither React nor zustand; only the opt-in entry imports broadcast-channel', () => {
  const core = readFileSync('dist/index.js', 'utf8');
  expect(core).not.toMatch(/from\s*["'](react|zustand)/);
  const importers = readdirSync('dist').filter(
    (file) =>
      file.endsWith('.js') &&
      /["']broadcast-channel["']/.test(readFileSync(`dist/${file}`, 'utf8')),
  );
  expect(importers).toEqual(['broadcast-channel.js']);
  const react = readFileSync('dist/react.js', 'utf8');
  expect(react).toMatch(/from\s*["']react["']/);
});

test('broadcast-channel and zustand are optional peers, and dist/ imports only declared packages', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
    dependencies: Record<string, string>;
    peerDependencies: Record<string, string>;
    peerDependenciesMeta: Record<string, { optional?: boolean }>;
    devDependencies: Record<string, string>;
  };
  for (const peer of ['broadcast-channel', 'zustand', 'react']) {
    expect(pkg.dependencies[peer], `${peer} is not a dependency`).toBeUndefined();
    expect(pkg.peerDependencies[peer], `${peer} is a peer`).toBeDefined();
    expect(pkg.peerDependenciesMeta[peer]?.optional, `${peer} is optional`).toBe(true);
    // Still installed for the repo's own tests.
    expect(pkg.devDependencies[peer], `${peer} is a devDependency`).toBeDefined();
  }
  const declared = new Set([
    ...Object.keys(pkg.dependencies),
    ...Object.keys(pkg.peerDependencies),
  ]);
  const importers = new Map<string, string[]>();
  for (const file of readdirSync('dist').filter((name) => name.endsWith('.js'))) {
    const code = readFileSync(`dist/${file}`, 'utf8');
    for (const [, specifier] of code.matchAll(/(?:from|import)\s*\(?\s*["']([^."'/][^"']*)["']/g)) {
      const name = specifier!
        .split('/')
        .slice(0, specifier!.startsWith('@') ? 2 : 1)
        .join('/');
      importers.set(name, [...(importers.get(name) ?? []), file]);
    }
  }
  expect([...importers.keys()].filter((name) => !declared.has(name))).toEqual([]);
  // An optional peer is imported by its own entry only: the others load without it installed.
  expect(importers.get('broadcast-channel')).toEqual(['broadcast-channel.js']);
  expect(importers.get('zustand')).toEqual(['react.js']);
});

test('ESM only: CommonJS loads every entry with import(), and require() where Node can require ESM', () => {
  // A CommonJS script in the package root: 'strata-storage' is the package itself there
  // (self-reference through the exports map).
  const script = `
    const entries = ['strata-storage', 'strata-storage/react', 'strata-storage/oauth', 'strata-storage/broadcast-channel'];
    Promise.all(entries.map((entry) => import(entry))).then((modules) => {
      const imported = modules.map((m) => Object.keys(m).length > 0);
      let required;
      try { required = typeof require('strata-storage').Strata; } catch (error) { required = error.code; }
      console.log(JSON.stringify({ imported, required, canRequireEsm: process.features.require_module === true }));
    });`;
  const result = JSON.parse(
    execFileSync(process.execPath, ['--input-type=commonjs', '-e', script], { encoding: 'utf8' }),
  ) as { imported: boolean[]; required: string; canRequireEsm: boolean };
  expect(result.imported).toEqual([true, true, true, true]);
  // Node 20.19+ / 22.12+ require() an ES module; older ones refuse it with ERR_REQUIRE_ESM.
  expect(result.required).toBe(result.canRequireEsm ? 'function' : 'ERR_REQUIRE_ESM');
});

test('the published declarations type a consumer through the exports map', () => {
  // Throws (and fails the test with tsc's diagnostics) when the types do not resolve.
  const output = execFileSync('npx', ['tsc', '-p', 'tests/e2e/consumer/tsconfig.json'], {
    encoding: 'utf8',
  });
  expect(output).toBe('');
});
