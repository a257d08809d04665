// The peer libraries the bench and `npm run size` compare with live in bench/node_modules, out
// of the root install (issue 19): installed here on first use from bench/package-lock.json,
// with their install scripts off (bench/package.json allowScripts), then the bench pages are
// type-checked against them (the root `npm run typecheck` leaves bench/pages out).
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bench = fileURLToPath(new URL('.', import.meta.url));
const lock = `${bench}package-lock.json`;
const installed = `${bench}node_modules/.package-lock.json`;

/** True when bench/node_modules holds what bench/package-lock.json names. */
export const benchDepsInstalled = () =>
  existsSync(installed) && statSync(installed).mtimeMs >= statSync(lock).mtimeMs;

/** Installs the peers from bench/package-lock.json: `npm ci --prefix bench`. */
export function installBenchDeps() {
  console.log('bench: installing the peer libraries (npm ci --prefix bench)');
  run('npm', ['ci', '--prefix', bench, '--no-audit', '--no-fund']);
}

/** Installs the peers unless they are there, then type-checks bench/pages. */
export function ensureBenchDeps() {
  if (!benchDepsInstalled()) installBenchDeps();
  run('npx', ['tsc', '-p', `${bench}tsconfig.json`, '--noEmit']);
}

function run(cmd, args) {
  const result = spawnSync(cmd, args, { stdio: 'inherit' });
  if (result.status !== 0)
    throw new Error(`bench: ${cmd} ${args.join(' ')} exited ${result.status}`);
}
