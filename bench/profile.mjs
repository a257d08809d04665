// CPU profile of one contender's workload in Chromium (CDP sampling profiler): where the time goes.
//   node bench/profile.mjs --name "strata LS encrypted" [--n 2000] [--port 5684] [--top 25] [--diag]
// --diag profiles bench/pages/diag.ts txCount instead (concurrent set, concurrent get, 200 seq sets, keys+clear).
// Prints the functions with the most self time and the phase timings of the profiled run.
import { startBench } from './server.mjs';

const argv = process.argv.slice(2);
const arg = (k, d) => {
  const i = argv.indexOf(`--${k}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : d;
};
const name = arg('name', 'strata IDB');
const N = Number(arg('n', 2000));
const PORT = Number(arg('port', 5684));
const TOP = Number(arg('top', 25));
const DIAG = argv.includes('--diag');
const { server, browser } = await startBench(PORT);
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${PORT}/${DIAG ? 'diag' : 'index'}.html`);
  await page.waitForFunction(() => (window.bench ?? window.diag) !== undefined);
  const run = (n) =>
    page.evaluate(
      ([name, n, diag]) =>
        diag ? window.diag.txCount(name, n) : window.bench.workload(name, n, 1e9),
      [name, n, DIAG],
    );
  await run(50); // warm up the code
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  await cdp.send('Profiler.start');
  const r = await run(N);
  const { profile } = await cdp.send('Profiler.stop');
  const phases = DIAG ? Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.ms])) : r.ms;
  console.log(
    `# ${name}, n=${N}: ${Object.entries(phases)
      .map(([k, v]) => `${k} ${v.toFixed(0)} ms`)
      .join(', ')}\n`,
  );
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  const dt = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    const f = node.callFrame;
    const file = f.url.replace(/^.*127\.0\.0\.1:\d+\//, '').replace(/\?.*$/, '');
    const key =
      `${f.functionName || '(anonymous)'} ${file ? `${file}:${f.lineNumber + 1}` : ''}`.trim();
    self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  console.log('| self ms | % | function |\n|---|---|---|');
  for (const [key, us] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
    console.log(`| ${(us / 1000).toFixed(1)} | ${((100 * us) / total).toFixed(1)} | ${key} |`);
  }
} finally {
  await browser.close();
  await server.close();
}
