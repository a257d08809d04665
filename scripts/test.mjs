// Runs every suite (Vitest: node + real Chromium; Playwright: multi-tab and end-to-end;
// the type check; the bundle-size ceilings) and prints one closing line: "N passed, N failed".
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync, rmSync } from 'node:fs';

mkdirSync('test-results', { recursive: true });
const suites = [
  {
    name: 'vitest',
    cmd: 'npx',
    args: [
      'vitest',
      'run',
      '--reporter=default',
      '--reporter=json',
      '--outputFile.json=test-results/vitest.json',
    ],
    report: 'test-results/vitest.json',
    count: (r) => ({
      passed: r.numPassedTests,
      failed: r.numFailedTests + r.numPendingTests + r.numTodoTests,
    }),
  },
  {
    name: 'playwright',
    cmd: 'npx',
    args: ['playwright', 'test'],
    report: 'test-results/playwright.json',
    count: countPlaywright,
  },
];

let passed = 0;
let failed = 0;
let crashed = false;
for (const suite of suites) {
  if (existsSync(suite.report)) rmSync(suite.report);
  const run = spawnSync(suite.cmd, suite.args, {
    stdio: 'inherit',
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  if (!existsSync(suite.report)) {
    console.error(`${suite.name}: no report written (exit ${run.status}); counted as a failure.`);
    failed++;
    crashed = true;
    continue;
  }
  const counts = suite.count(JSON.parse(readFileSync(suite.report, 'utf8')));
  passed += counts.passed;
  failed += counts.failed;
  if (run.status !== 0 && counts.failed === 0) {
    console.error(`${suite.name} exited ${run.status} with no failed test; counted as a failure.`);
    failed++;
    crashed = true;
  }
}
// Single checks: the types of src and tests (strict), the formatting, and the bundle-size ceilings.
for (const [what, cmd, args] of [
  ['typecheck', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']],
  ['format', 'npx', ['prettier', '--check', '.']],
  ['size', 'node', ['scripts/size.mjs', '--check']],
]) {
  const run = spawnSync(cmd, args, { stdio: 'inherit' });
  if (run.status === 0) passed++;
  else {
    console.error(`${what} check failed.`);
    failed++;
  }
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || crashed ? 1 : 0);

function countPlaywright(report) {
  const s = report.stats ?? {};
  return {
    passed: (s.expected ?? 0) + (s.flaky ?? 0),
    failed: (s.unexpected ?? 0) + (s.skipped ?? 0),
  };
}
