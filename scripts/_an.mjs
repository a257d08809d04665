import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
const r = await build({
  stdin: {
    contents: "export { Strata } from './src/index.ts'",
    resolveDir: process.cwd(),
    loader: 'ts',
  },
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  write: false,
  metafile: true,
  legalComments: 'none',
});
const out = Object.values(r.metafile.outputs)[0];
const rows = Object.entries(out.inputs).sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput);
for (const [f, i] of rows) console.log(String(i.bytesInOutput).padStart(7), f);
console.log(
  'total min',
  r.outputFiles[0].contents.length,
  'gz',
  gzipSync(r.outputFiles[0].contents, { level: 9 }).length,
);
import { writeFileSync } from 'node:fs';
const code = new TextDecoder().decode(r.outputFiles[0].contents);
writeFileSync('/tmp/strata.min.js', code);
const strs = code.match(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`/g) ?? [];
console.log(
  'string literal bytes',
  strs.reduce((a, s) => a + s.length, 0),
  'count',
  strs.length,
);
const props = code.match(/\.[a-zA-Z_$#][\w$]{3,}/g) ?? [];
const freq = {};
for (const p of props) freq[p] = (freq[p] ?? 0) + 1;
console.log(
  'prop bytes',
  props.reduce((a, s) => a + s.length, 0),
);
console.log(
  Object.entries(freq)
    .sort((a, b) => b[1] * b[0].length - a[1] * a[0].length)
    .slice(0, 60)
    .map(([k, v]) => k + ':' + v)
    .join(' '),
);
const priv = code.match(/#[a-zA-Z_$][\w$]*/g) ?? [];
console.log(
  'private bytes',
  priv.reduce((a, s) => a + s.length, 0),
  priv.length,
);
