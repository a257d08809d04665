// Runs every suite and prints one closing line: "N passed, N failed". Vitest runs once per
// engine (node + Chromium; Firefox; WebKit: each with its React 18 project, and private
// browsing for Firefox and WebKit), one engine at a time so a 2-core machine is not
// oversubscribed; then Playwright (multi-tab and end-to-end in Chromium, Firefox and WebKit);
// then the type check, the formatting and the bundle-size ceilings. Skipped tests count as failed.
//   node scripts/test.mjs [--only vitest-chromium,vitest-firefox,vitest-webkit,playwright]
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync, rmSync } from 'node:fs';

mkdirSync('test-results', { recursive: true });
const vitestCount = (r) => ({
  passed: r.numPassedTests,
  failed: r.numFailedTests + r.numPendingTests + r.numTodoTests,
});
/** One Vitest run of these projects, with its own JSON report. */
const vitest = (engine, projects) => ({
  name: `vitest-${engine}`,
  cmd: 'npx',
  args: [
    'vitest',
    'run',
    ...projects.flatMap((project) => ['--project', project]),
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=test-results/vitest-${engine}.json`,
  ],
  report: `test-results/vitest-${engine}.json`,
  count: vitestCount,
});
const allSuites = [
  vitest('chromium', ['node', 'node-react18', 'chromium', 'chromium-react18']),
  vitest('firefox', ['firefox', 'firefox-react18', 'firefox-private']),
  vitest('webkit', ['webkit', 'webkit-react18', 'webkit-ephemeral']),
  {
    name: 'playwright',
    cmd: 'npx',
    args: ['playwright', 'test'],
    report: 'test-results/playwright.json',
    count: countPlaywright,
  },
];
const onlyIndex = process.argv.indexOf('--only');
const only = onlyIndex > 0 ? new Set(process.argv[onlyIndex + 1].split(',')) : undefined;
const suites = only ? allSuites.filter((suite) => only.has(suite.name)) : allSuites;

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
  console.log(`${suite.name}: ${counts.passed} passed, ${counts.failed} failed`);
  passed += counts.passed;
  failed += counts.failed;
  if (run.status !== 0 && counts.failed === 0) {
    console.error(`${suite.name} exited ${run.status} with no failed test; counted as a failure.`);
    failed++;
    crashed = true;
  }
}
// Single checks: the types of src and tests (strict), the formatting, and the bundle-size ceilings.
for (const [what, cmd, args] of only
  ? []
  : [
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
