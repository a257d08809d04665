// Evidence behind the benchmark's figures: IndexedDB transactions per phase, when concurrent
// encrypted gets read and decrypt, strata's set/get against the same steps done by hand
// (localStorage, plain and encrypted), and the sender-side share of cross-tab latency.
//   node bench/diagnose.mjs [--n 2000] [--port 5685] [--ls-only]
// --ls-only: the piece-by-piece breakdowns only.
import { percentile } from './report.mjs';
import { startBench } from './server.mjs';

const argv = process.argv.slice(2);
const arg = (k, d) => {
  const i = argv.indexOf(`--${k}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : d;
};
const N = Number(arg('n', 2000));
const PORT = Number(arg('port', 5685));
const { server, browser } = await startBench(PORT);
try {
  const page = await browser.newPage();
  const load = async () => {
    await page.goto(`http://127.0.0.1:${PORT}/diag.html`);
    await page.waitForFunction(() => window.diag !== undefined);
  };
  const lsOnly = argv.includes('--ls-only');
  if (!lsOnly)
    console.log(`## IndexedDB transactions opened per phase (N=${N}; seq set: 200 ops)\n`);
  if (!lsOnly) {
    console.log('| contender | phase | ms | readwrite tx | readonly tx |\n|---|---|---|---|---|');
    for (const name of [
      'idb-keyval',
      'localforage (IDB)',
      'raw IDB (1 tx) floor',
      'AES-GCM + IDB floor',
      'strata IDB',
      'strata IDB encrypted',
    ]) {
      await load();
      const r = await page.evaluate(([name, n]) => window.diag.txCount(name, n), [name, N]);
      for (const [phase, x] of Object.entries(r))
        console.log(`| ${name} | ${phase} | ${x.ms.toFixed(1)} | ${x.readwrite} | ${x.readonly} |`);
    }
  }
  const table = (title, rows) => {
    console.log(`\n## ${title}\n`);
    console.log('| step | µs/op |\n|---|---|');
    for (const [step, us] of Object.entries(rows)) console.log(`| ${step} | ${us.toFixed(2)} |`);
  };
  for (const [fn, title] of [
    ['encryptedGetBreakdown', 'Encrypted get (sequential localStorage, concurrent) and its pieces'],
    ['lsBreakdown', 'localStorage set/get: raw, strata, and the pieces'],
    ['encryptedSetBreakdown', 'Encrypted localStorage set: floor, by hand, strata'],
  ]) {
    await load();
    table(
      `${title}, µs/op (best of 5 rounds)`,
      await page.evaluate(([fn, n]) => window.diag[fn](n, 5), [fn, N]),
    );
  }
  if (!lsOnly) {
    await load();
    console.log('\n## Concurrent get timeline (ms from the first get)\n');
    for (const name of ['AES-GCM + IDB floor', 'strata IDB encrypted'])
      console.log(
        `- ${name}: ${JSON.stringify(await page.evaluate(([name, n]) => window.diag.getTimeline(name, n), [name, N]))}`,
      );
  }
  if (!lsOnly) {
    console.log('\n## Cross-tab, sender side: set() called → postMessage, ms\n');
    console.log('| layer | p50 | p95 |\n|---|---|---|');
    for (const [storage, encrypted] of [
      ['localStorage', false],
      ['indexedDB', false],
      ['localStorage', true],
      ['indexedDB', true],
    ]) {
      await load();
      const xs = await page.evaluate(
        ([s, e]) => window.diag.sendOverhead(s, 200, e),
        [storage, encrypted],
      );
      console.log(
        `| ${storage}${encrypted ? ' encrypted' : ''} | ${percentile(xs, 50).toFixed(3)} | ${percentile(xs, 95).toFixed(3)} |`,
      );
    }
  }
} finally {
  await browser.close();
  await server.close();
}
