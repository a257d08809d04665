// Statistics and the targets, evaluated against a finished bench run.

/** The five workload phases, in run order. */
export const PHASES = ['seqSet', 'seqGet', 'concSet', 'concGet', 'keysClear'];

/** Each strata contender: the peers it is compared with and the floors under it. */
export const CONTENDER_GROUPS = {
  'strata LS': { peers: ['localforage (LS)'], floors: ['raw localStorage'] },
  'strata IDB': {
    peers: ['idb-keyval', 'localforage (IDB)', 'strata 2.x (IDB)'],
    floors: ['raw IDB (1 tx) floor', 'raw IDB (tx/op)'],
  },
  'strata LS encrypted': { peers: ['secure-ls (AES)'], floors: ['AES-GCM + LS floor'] },
  'strata IDB encrypted': {
    peers: ['strata 2.x (IDB, encrypted)'],
    floors: ['AES-GCM + IDB floor'],
  },
};

export function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '–');

/** The targets as rows { target, measured, met }. Ratios are time ÷ time. */
export function evaluateTargets(r, stat = 'usPerOp') {
  const us = (name, phase) => r.workload[name]?.phases[phase]?.[stat] ?? Number.NaN;
  const rows = [];
  const add = (target, measured, met) => rows.push({ target, measured, met: Boolean(met) });

  for (const peer of ['idb-keyval', 'localforage (IDB)']) {
    const x = us(peer, 'concSet') / us('strata IDB', 'concSet');
    add(`IDB concurrent set ≥ 4× faster than ${peer}`, `${f2(x)}× faster`, x >= 4);
  }
  for (const phase of ['seqGet', 'concGet']) {
    const x = us('strata IDB', phase) / us('idb-keyval', phase);
    add(`IDB ${phase} no slower than idb-keyval`, `${f2(x)}× idb-keyval's time`, x <= 1);
  }
  const hotStat = stat === 'usPerOp' ? 'usPerGet' : 'bestUsPerGet';
  const rawHot = r.hotKey['raw IDB get (tx/op)']?.[hotStat];
  for (const name of ['strata IDB', 'strata IDB + sync (read cache)']) {
    const x = r.hotKey[name]?.[hotStat] / rawHot;
    add(`hot-key get faster than raw IDB get (${name})`, `${f2(x)}× raw IDB's time`, x < 1);
  }
  for (const phase of ['seqSet', 'seqGet', 'concSet', 'concGet']) {
    const x = us('strata LS', phase) / us('raw localStorage', phase);
    add(`LS ${phase} within 1.5× raw localStorage`, `${f2(x)}×`, x <= 1.5);
    const y = us('strata LS', phase) / us('localforage (LS)', phase);
    add(`LS ${phase} faster than localforage (LS)`, `${f2(y)}× localforage's time`, y < 1);
  }
  for (const [ours, floor] of [
    ['strata LS encrypted', 'AES-GCM + LS floor'],
    ['strata IDB encrypted', 'AES-GCM + IDB floor'],
  ]) {
    for (const phase of ['seqSet', 'seqGet', 'concSet', 'concGet']) {
      const x = us(ours, phase) / us(floor, phase);
      add(`${ours} ${phase} within 1.3× of ${floor}`, `${f2(x)}×`, x <= 1.3);
    }
  }
  for (const [name, byN] of Object.entries(r.flat)) {
    if (!name.startsWith('strata')) continue;
    const [small, big] = Object.keys(byN)
      .map(Number)
      .sort((a, b) => a - b);
    for (const k of ['seqSetUs', 'seqGetUs']) {
      const x = byN[big][k] / byN[small][k];
      add(
        `${name} ${k.replace('Us', '')} flat from N=${small} to N=${big} (≤ 1.3×)`,
        `${f2(x)}×`,
        x <= 1.3,
      );
    }
  }
  for (const [enc, plain] of [
    ['strata LS encrypted', 'strata LS'],
    ['strata IDB encrypted', 'strata IDB'],
  ]) {
    const x = us(enc, 'keysClear') / us(plain, 'keysClear');
    add(
      `${enc} keys+clear by prefix without decrypting (≤ 1.3× unencrypted)`,
      `${f2(x)}× unencrypted`,
      x <= 1.3,
    );
  }
  for (const [storage, c] of Object.entries(r.crossTab)) {
    const d = c.strata.p50 - c.native.p50;
    add(
      `cross-tab p50 within 0.5 ms of native (${storage})`,
      `+${f2(d)} ms (p50 ${f2(c.strata.p50)} vs ${f2(c.native.p50)})`,
      d <= 0.5,
    );
  }
  return rows;
}
