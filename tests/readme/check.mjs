// Every TypeScript block of README.md compiles under --strict against the built package:
// the declarations are built into dist/ (tsc -p tsconfig.build.json), each block becomes its
// own module in test-results/readme/ next to the README's preamble block (the names the
// examples take from your app, declared as globals), and one tsc run checks them all, with
// `strata-storage` resolved as a consumer resolves it (the package's exports map, so
// dist/*.d.ts). Errors are printed at their README line. Exit 1 on any error.
//   node tests/readme/check.mjs [--no-build]   (--no-build: dist/ is already built)
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readmeBlocks } from './blocks.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const out = path.join(root, 'test-results', 'readme');
const blocks = readmeBlocks(readFileSync(path.join(root, 'README.md'), 'utf8'));
const preamble = blocks.find((b) => b.name === 'preamble');
if (!preamble) fail('README.md has no block marked <!-- readme-block: preamble -->');

if (!process.argv.includes('--no-build')) {
  const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (build.status !== 0)
    fail('readme: building the declarations (tsc -p tsconfig.build.json) failed');
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
/** Generated file name → the README block it holds. */
const files = new Map();
// The preamble stays a script (no import or export), so its declarations are global and a
// block's own declaration of the same name shadows them.
files.set('preamble.ts', preamble);
blocks
  .filter((b) => b !== preamble)
  .forEach((b, i) => files.set(`block-${String(i + 1).padStart(2, '0')}.${b.lang}`, b));
for (const [file, block] of files)
  writeFileSync(
    path.join(out, file),
    block === preamble ? `${block.code}\n` : `${block.code}\nexport {};\n`,
  );
writeFileSync(
  path.join(out, 'tsconfig.json'),
  JSON.stringify({
    compilerOptions: {
      strict: true,
      exactOptionalPropertyTypes: true,
      target: 'ES2022',
      module: 'ESNext',
      moduleResolution: 'Bundler',
      lib: ['ES2023', 'DOM', 'DOM.Iterable'],
      jsx: 'react-jsx',
      noEmit: true,
      skipLibCheck: true,
      types: [],
    },
    files: [...files.keys()],
  }),
);
const tsc = spawnSync('npx', ['tsc', '-p', path.join(out, 'tsconfig.json'), '--pretty', 'false'], {
  cwd: root,
  encoding: 'utf8',
});
const errors = `${tsc.stdout}${tsc.stderr}`
  .split('\n')
  .filter(Boolean)
  .map((line) => {
    const m = /^(?:.*[\\/])?([\w.-]+)\((\d+),(\d+)\): (.*)$/.exec(line);
    const block = m && files.get(m[1]);
    return block ? `README.md:${block.line + Number(m[2]) - 1}:${m[3]}: ${m[4]}` : line;
  });
if (tsc.status !== 0 || errors.length > 0) {
  console.error(errors.join('\n'));
  fail(`readme: ${files.size} TypeScript blocks of README.md checked, errors above`);
}
console.log(`readme: ${files.size} TypeScript blocks of README.md compile under --strict`);

function fail(message) {
  console.error(message);
  process.exit(1);
}
