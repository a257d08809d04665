// Evidence for the benchmark's misses: IndexedDB transactions per phase, and the sender-side
// share of cross-tab latency (set() called → BroadcastChannel.postMessage).
//   node bench/diagnose.mjs [--n 2000] [--port 5685] [--ls-only]
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
  if (!lsOnly) console.log(`## IndexedDB transactions opened per phase (N=${N}; seq set: 200 ops)\n`);
  if (!lsOnly) {
    console.log('| contender | phase | ms | readwrite tx | readonly tx |\n|---|---|---|---|---|');
    for (const name of ['idb-keyval', 'localforage (IDB)', 'raw IDB (1 tx) floor', 'AES-GCM + IDB floor', 'strata IDB', 'strata IDB encrypted']) {
      await load();
      const r = await page.evaluate(([name, n]) => window.diag.txCount(name, n), [name, N]);
      for (const [phase, x] of Object.entries(r)) console.log(`| ${name} | ${phase} | ${x.ms.toFixed(1)} | ${x.readwrite} | ${x.readonly} |`);
    }
  }
  await load();
  const enc = await page.evaluate(([n]) => window.diag.encryptedGetBreakdown(n, 5), [N]);
  console.log('\n## Concurrent encrypted get and its pieces, µs/op (best of 5 rounds)\n');
  console.log('| step | µs/op |\n|---|---|');
  for (const [step, us] of Object.entries(enc)) console.log(`| ${step} | ${us.toFixed(2)} |`);
  await load();
  const ls = await page.evaluate(([n]) => window.diag.lsBreakdown(n, 7), [N]);
  console.log('\n## localStorage set/get pieces, µs/op (best of 7 rounds)\n');
  console.log('| step | µs/op |\n|---|---|');
  for (const [step, us] of Object.entries(ls)) console.log(`| ${step} | ${us.toFixed(2)} |`);
  if (!lsOnly) {
    console.log('\n## Cross-tab, sender side: set() called → postMessage, ms\n');
    console.log('| layer | p50 | p95 |\n|---|---|---|');
    for (const [storage, encrypted] of [['localStorage', false], ['indexedDB', false], ['localStorage', true], ['indexedDB', true]]) {
      await load();
      const xs = await page.evaluate(([s, e]) => window.diag.sendOverhead(s, 200, e), [storage, encrypted]);
      console.log(`| ${storage}${encrypted ? ' encrypted' : ''} | ${percentile(xs, 50).toFixed(3)} | ${percentile(xs, 95).toFixed(3)} |`);
    }
  }
} finally {
  await browser.close();
  await server.close();
}
