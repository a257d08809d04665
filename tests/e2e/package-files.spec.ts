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

test('the published declarations type a consumer through the exports map', () => {
  // Throws (and fails the test with tsc's diagnostics) when the types do not resolve.
  const output = execFileSync('npx', ['tsc', '-p', 'tests/e2e/consumer/tsconfig.json'], {
    encoding: 'utf8',
  });
  expect(output).toBe('');
});
