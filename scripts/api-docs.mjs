// The API reference, generated from the JSDoc by TypeDoc (typedoc.json: the four entries of the
// exports map, Markdown through typedoc-plugin-markdown so it reads on GitHub) into docs/api/.
// TypeDoc's validation fails the run when a public export (class, interface, type, function,
// constant, method, accessor) has no documentation, a {@link} does not resolve or a referenced
// type is not exported.
//   node scripts/api-docs.mjs            (npm run docs) writes docs/api/
//   node scripts/api-docs.mjs --check    generates into test-results/api-docs/ and fails when
//                                        it differs from the committed docs/api/ (npm test)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const committed = path.join(root, 'docs', 'api');
const check = process.argv.includes('--check');
const out = check ? path.join(root, 'test-results', 'api-docs') : committed;

rmSync(out, { recursive: true, force: true });
const typedoc = spawnSync('npx', ['typedoc', '--out', out, '--logLevel', 'Warn'], {
  cwd: root,
  stdio: 'inherit',
});
if (typedoc.status !== 0) {
  console.error('api-docs: TypeDoc failed (an undocumented export or a broken link, above)');
  process.exit(1);
}
if (!check) {
  console.log(`api-docs: wrote ${path.relative(root, out)}/`);
  process.exit(0);
}
const generated = files(out);
const stale = [...new Set([...generated, ...files(committed)])].filter(
  (file) =>
    !existsSync(path.join(committed, file)) ||
    !existsSync(path.join(out, file)) ||
    readFileSync(path.join(committed, file), 'utf8') !== readFileSync(path.join(out, file), 'utf8'),
);
if (stale.length > 0) {
  console.error(
    `api-docs: docs/api/ is out of date (${stale.slice(0, 5).join(', ')}${stale.length > 5 ? ', …' : ''}): run npm run docs`,
  );
  process.exit(1);
}
console.log(
  `api-docs: every public export documented, docs/api/ up to date (${generated.length} pages)`,
);

/** Every file under `dir`, as paths relative to it. */
function files(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath ?? entry.path, entry.name)));
}
