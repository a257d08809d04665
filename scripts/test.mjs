// Runs every suite and prints one closing line: "N passed, N failed". Vitest runs once per
// engine (node + Chromium; Firefox; WebKit: each with its React 18 project, and private
// browsing for Firefox and WebKit): Chromium first, then Firefox and WebKit side by side
// (WebKit's provider runs one file at a time and mostly waits on its driver, so the two
// share a 2-core machine well; their output is printed as each finishes); then Playwright
// (multi-tab and end-to-end in Chromium, Firefox and WebKit); then the type check, the
// formatting, the bundle-size ceilings, the README blocks, the API reference and the packed
// package's attw and publint checks.
// Skipped tests count as failed.
//   node scripts/test.mjs [--only vitest-chromium,vitest-firefox,vitest-webkit,playwright]
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync, rmSync } from 'node:fs';

mkdirSync('test-results', { recursive: true });
// Each browser project's own API port from this base (vite.config.ts): the Firefox and WebKit
// runs go side by side, and globalSetup files read their page origin from it.
process.env.STRATA_VITEST_PORT ??= '63615';
// Each test namespace that writes a persistent layer leaves its eviction cookie on the test
// origin: a full run's hundreds outgrow Node's 16 kB request-header limit (Vite answers 431).
process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --max-http-header-size=262144`.trim();
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
  { ...vitest('firefox', ['firefox', 'firefox-react18', 'firefox-private']), group: 'ff+wk' },
  { ...vitest('webkit', ['webkit', 'webkit-react18', 'webkit-ephemeral']), group: 'ff+wk' },
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
/** Runs a suite; `buffered`: its output is collected and printed once it exits. */
function run(suite, buffered) {
  if (existsSync(suite.report)) rmSync(suite.report);
  return new Promise((resolve) => {
    const child = spawn(suite.cmd, suite.args, {
      stdio: buffered ? ['ignore', 'pipe', 'pipe'] : 'inherit',
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    const output = [];
    child.stdout?.on('data', (chunk) => output.push(chunk));
    child.stderr?.on('data', (chunk) => output.push(chunk));
    child.on('close', (status) => {
      if (buffered) process.stdout.write(Buffer.concat(output));
      resolve(status);
    });
  });
}
function count(suite, status) {
  if (!existsSync(suite.report)) {
    console.error(`${suite.name}: no report written (exit ${status}); counted as a failure.`);
    failed++;
    crashed = true;
    return;
  }
  const counts = suite.count(JSON.parse(readFileSync(suite.report, 'utf8')));
  console.log(`${suite.name}: ${counts.passed} passed, ${counts.failed} failed`);
  passed += counts.passed;
  failed += counts.failed;
  if (status !== 0 && counts.failed === 0) {
    console.error(`${suite.name} exited ${status} with no failed test; counted as a failure.`);
    failed++;
    crashed = true;
  }
}
for (let i = 0; i < suites.length;) {
  const group = suites[i].group
    ? suites.filter((suite) => suite.group === suites[i].group)
    : [suites[i]];
  const statuses = await Promise.all(group.map((suite) => run(suite, group.length > 1)));
  group.forEach((suite, j) => count(suite, statuses[j]));
  i += group.length;
}
// Single checks: the types of src and tests (strict), the formatting, the bundle-size ceilings,
// the README's TypeScript blocks compiled against the built package, and the API reference
// (every public export documented, docs/api/ up to date).
for (const [what, cmd, args] of only
  ? []
  : [
      ['typecheck', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']],
      ['format', 'npx', ['prettier', '--check', '.']],
      ['size', 'node', ['scripts/size.mjs', '--check']],
      ['readme', 'node', ['tests/readme/check.mjs']],
      ['api-docs', 'node', ['scripts/api-docs.mjs', '--check']],
    ]) {
  const run = spawnSync(cmd, args, { stdio: 'inherit' });
  if (run.status === 0) passed++;
  else {
    console.error(`${what} check failed.`);
    failed++;
  }
}

// The packed package: attw (--profile esm-only) and publint (--strict) on one tarball of
// `npm pack` (scripts/package-check.mjs), one check each.
if (!only) {
  const report = 'test-results/package-check.json';
  if (existsSync(report)) rmSync(report);
  spawnSync('node', ['scripts/package-check.mjs', '--report', report], { stdio: 'inherit' });
  const results = existsSync(report)
    ? JSON.parse(readFileSync(report, 'utf8'))
    : { attw: false, publint: false };
  for (const [what, ok] of Object.entries(results)) {
    if (ok) passed++;
    else {
      console.error(`${what} check failed.`);
      failed++;
    }
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
