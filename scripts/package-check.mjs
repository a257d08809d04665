// The package as published, judged by the two linters of npm packages: `npm pack` into a
// temporary directory (prepack builds dist/), then on that one tarball
//   attw --profile esm-only   (@arethetypeswrong/cli: every entry's types resolve, under
//                              node16 from ESM and bundler; the package is ESM-only, so
//                              node10 and require from CommonJS are not claimed)
//   publint --strict          (exports, files and fields; warnings count as errors)
//   node scripts/package-check.mjs [attw] [publint] [--report file.json]
// Both checks when neither is named. Exit 1 when one fails; --report writes { attw: true, … }
// (true: passed), which scripts/test.mjs counts check by check.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const args = process.argv.slice(2);
const reportAt = args.indexOf('--report');
const report = reportAt >= 0 ? args.splice(reportAt, 2)[1] : undefined;
const wanted = args;
const checks = {
  attw: (tarball) => ['attw', tarball, '--profile', 'esm-only', '--no-color'],
  publint: (tarball) => ['publint', 'run', tarball, '--strict'],
};
const names = wanted.length ? wanted : Object.keys(checks);
const unknown = names.filter((name) => !(name in checks));
if (unknown.length) {
  console.error(`package-check: unknown check ${unknown.join(', ')} (attw, publint)`);
  process.exit(2);
}

const dir = mkdtempSync(path.join(tmpdir(), 'strata-package-check-'));
const results = Object.fromEntries(names.map((name) => [name, false]));
try {
  const pack = spawnSync('npm', ['pack', '--silent', '--pack-destination', dir], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const tarball = readdirSync(dir).find((file) => file.endsWith('.tgz'));
  if (pack.status !== 0 || !tarball) {
    console.error(`package-check: npm pack failed (exit ${pack.status})\n${pack.stdout}`);
  } else {
    for (const name of names) {
      console.log(`package-check: ${name}`);
      const run = spawnSync('npx', checks[name](path.join(dir, tarball)), { stdio: 'inherit' });
      results[name] = run.status === 0;
      if (!results[name]) console.error(`package-check: ${name} failed (exit ${run.status})`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (report) writeFileSync(report, `${JSON.stringify(results)}\n`);
process.exit(Object.values(results).every(Boolean) ? 0 : 1);
