/**
 * The statistics against their oracle: R's pROC (DeLong AUC, variance, CI, paired and unpaired roc.test) and R's
 * stats (binom.test, fisher.test, chisq.test, prop.test), on generated data sets including ties, all-equal scores,
 * a single case and images without detections (score 0). One Rscript call computes every reference value.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRandom } from './random.js';
import { roc, ciAuc, rocTest } from './roc.js';
import { delongAuc, delongPaired, delongUnpaired, delongPlacements } from './delong.js';
import { clopperPearson, wilson } from './proportion.js';
import { binomialTest } from './binomialTest.js';
import { mcnemarExact } from './mcnemar.js';
import { fisherExact, type Table2x2 } from './fisherExact.js';
import { chiSquareTest } from './chiSquareTest.js';
import { chiSquareUpper, normalCdf, normalQuantile, studentTUpper } from './distributions.js';
import { R_OUT, runRscript } from '../testing/rscript.js';

interface DataSet { name: string; label: number[]; s1: number[]; s2: number[] }

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;
const logistic = (x: number): number => 1 / (1 + Math.exp(-x));

function generate(): DataSet[] {
  const r = createRandom(20260101);
  const sets: DataSet[] = [];
  const binormal = (name: string, n: number, prevalence: number, shift: number, transform: (x: number) => number): DataSet => {
    const set: DataSet = { name, label: [], s1: [], s2: [] };
    for (let i = 0; i < n; i += 1) {
      const y = r.next() < prevalence ? 1 : 0;
      const shared = r.normal();
      set.label.push(y);
      set.s1.push(transform(logistic(shift * y + 0.8 * shared + 0.6 * r.normal())));
      set.s2.push(transform(logistic(0.7 * shift * y + 0.5 * shared + 0.9 * r.normal())));
    }
    return set;
  };
  sets.push(binormal('continuous', 220, 0.4, 1.6, round6));
  sets.push(binormal('ties', 180, 0.5, 1.2, (x) => Math.round(x * 10) / 10));
  sets.push(binormal('large', 3000, 0.25, 1.0, round6));
  // Images without detections: score 0 on many images of both classes.
  const empty = binormal('no-detections', 160, 0.45, 1.5, round6);
  for (let i = 0; i < empty.label.length; i += 1) {
    if (r.next() < (empty.label[i] ? 0.15 : 0.6)) empty.s1[i] = 0;
    if (r.next() < (empty.label[i] ? 0.25 : 0.5)) empty.s2[i] = 0;
  }
  sets.push(empty);
  const equal = binormal('all-equal', 90, 0.5, 1.0, round6);
  equal.s1 = equal.s1.map(() => 0.5);
  sets.push(equal);
  const single = binormal('single-case', 60, 0, 1.0, round6);
  single.label[7] = 1;
  sets.push(single);
  const perfect = binormal('separable', 50, 0.5, 1.0, round6);
  perfect.s1 = perfect.label.map((y, i) => round6(y ? 0.6 + 0.3 * (i / 50) : 0.1 + 0.3 * (i / 50)));
  sets.push(perfect);
  return sets;
}

const sets = generate();
const proportions: Array<[number, number]> = [[85, 88], [0, 12], [12, 12], [1, 1], [37, 108], [150, 152], [3, 3983], [875, 898], [0, 1]];
const binomialTests: Array<[number, number, number]> = [[7, 20, 0.5], [3, 17, 0.3], [40, 60, 0.5], [0, 9, 0.5], [11, 11, 0.5], [55, 140, 0.35], [5, 1000, 0.002]];
const fisherTables: Table2x2[] = [[[3, 1], [1, 3]], [[85, 3], [90, 10]], [[10, 0], [2, 15]], [[0, 5], [0, 7]], [[12, 7], [5, 30]], [[140, 2], [120, 20]], [[1, 0], [0, 0]]];
const chiTables: number[][][] = [[[85, 3], [90, 10]], [[20, 30], [25, 22]], [[12, 7, 9], [5, 30, 14]], [[40, 10], [10, 40]]];

const zs = [-38, -12.5, -7, -3.3, -1.96, -0.4, 0, 0.7, 2.5, 5];
const ps = [1e-300, 1e-12, 0.001, 0.025, 0.3, 0.5, 0.8, 0.975, 0.999999];
const chis: Array<[number, number]> = [[0.3, 1], [3.84, 1], [40, 1], [5.99, 2], [1, 3], [12.5, 5], [200, 7]];
const ts: Array<[number, number]> = [[0.5, 3], [2.1, 10.5], [-1.3, 4], [6, 120.7], [30, 2]];

let R: Map<string, number>;

before(() => {
  const rows = ['set,label,s1,s2'];
  for (const set of sets) set.label.forEach((y, i) => rows.push(`${set.name},${y},${set.s1[i]},${set.s2[i]}`));
  const fmt = (v: number[]): string => `c(${v.join(',')})`;
  const script = `${R_OUT}
suppressMessages(library(pROC))
d <- read.csv(file.path(commandArgs(TRUE)[1], 'scores.csv'), stringsAsFactors = FALSE)
rocs <- list()
for (s in unique(d$set)) {
  x <- d[d$set == s, ]
  r1 <- roc(x$label, x$s1, levels = c(0, 1), direction = '<', quiet = TRUE)
  r2 <- roc(x$label, x$s2, levels = c(0, 1), direction = '<', quiet = TRUE)
  rocs[[s]] <- r1
  out(paste(s, 'auc1'), as.numeric(auc(r1)))
  out(paste(s, 'auc2'), as.numeric(auc(r2)))
  out(paste(s, 'var1'), suppressWarnings(var(r1, method = 'delong')))
  out(paste(s, 'var2'), suppressWarnings(var(r2, method = 'delong')))
  ci1 <- suppressWarnings(ci.auc(r1, method = 'delong'))
  out(paste(s, 'ci1.lo'), ci1[1]); out(paste(s, 'ci1.hi'), ci1[3])
  t <- suppressWarnings(roc.test(r1, r2, method = 'delong', paired = TRUE))
  out(paste(s, 'paired.z'), t$statistic); out(paste(s, 'paired.p'), t$p.value)
  out(paste(s, 'paired.lo'), t$conf.int[1]); out(paste(s, 'paired.hi'), t$conf.int[2])
}
n <- names(rocs)
for (i in seq_along(n)) {
  j <- if (i == length(n)) 1 else i + 1
  t <- suppressWarnings(roc.test(rocs[[n[i]]], rocs[[n[j]]], method = 'delong', paired = FALSE))
  out(paste(n[i], 'unpaired.D'), t$statistic); out(paste(n[i], 'unpaired.df'), t$parameter); out(paste(n[i], 'unpaired.p'), t$p.value)
}
px <- ${fmt(proportions.map((p) => p[0]))}; pn <- ${fmt(proportions.map((p) => p[1]))}
for (i in seq_along(px)) {
  ci <- binom.test(px[i], pn[i])$conf.int
  out(paste('cp', i, 'lo'), ci[1]); out(paste('cp', i, 'hi'), ci[2])
  w <- suppressWarnings(prop.test(px[i], pn[i], correct = FALSE))$conf.int
  out(paste('wilson', i, 'lo'), w[1]); out(paste('wilson', i, 'hi'), w[2])
}
bx <- ${fmt(binomialTests.map((b) => b[0]))}; bn <- ${fmt(binomialTests.map((b) => b[1]))}; bp <- ${fmt(binomialTests.map((b) => b[2]))}
for (i in seq_along(bx)) {
  out(paste('binom', i, 'two'), binom.test(bx[i], bn[i], bp[i])$p.value)
  out(paste('binom', i, 'less'), binom.test(bx[i], bn[i], bp[i], alternative = 'less')$p.value)
  out(paste('binom', i, 'greater'), binom.test(bx[i], bn[i], bp[i], alternative = 'greater')$p.value)
}
ft <- list(${fisherTables.map((t) => `matrix(c(${t[0][0]},${t[1][0]},${t[0][1]},${t[1][1]}), 2)`).join(', ')})
for (i in seq_along(ft)) {
  f <- fisher.test(ft[[i]])
  out(paste('fisher', i, 'p'), f$p.value); out(paste('fisher', i, 'or'), f$estimate)
  out(paste('fisher', i, 'lo'), f$conf.int[1]); out(paste('fisher', i, 'hi'), f$conf.int[2])
  out(paste('fisher', i, 'less'), fisher.test(ft[[i]], alternative = 'less')$p.value)
  out(paste('fisher', i, 'greater'), fisher.test(ft[[i]], alternative = 'greater')$p.value)
}
zs <- ${fmt(zs)}; for (i in seq_along(zs)) out(paste('pnorm', i), pnorm(zs[i]))
ps <- ${fmt(ps)}; for (i in seq_along(ps)) out(paste('qnorm', i), qnorm(ps[i]))
cx <- ${fmt(chis.map((c) => c[0]))}; cd <- ${fmt(chis.map((c) => c[1]))}
for (i in seq_along(cx)) out(paste('pchisq', i), pchisq(cx[i], cd[i], lower.tail = FALSE))
tx <- ${fmt(ts.map((t) => t[0]))}; td <- ${fmt(ts.map((t) => t[1]))}
for (i in seq_along(tx)) out(paste('pt', i), pt(tx[i], td[i], lower.tail = FALSE))
ct <- list(${chiTables.map((t) => `matrix(c(${t.map((row) => row.join(',')).join(',')}), nrow = ${t.length}, byrow = TRUE)`).join(', ')})
for (i in seq_along(ct)) {
  a <- suppressWarnings(chisq.test(ct[[i]]))
  out(paste('chisq', i, 'stat'), a$statistic); out(paste('chisq', i, 'p'), a$p.value)
  b <- suppressWarnings(chisq.test(ct[[i]], correct = FALSE))
  out(paste('chisq', i, 'stat.raw'), b$statistic); out(paste('chisq', i, 'p.raw'), b$p.value)
}
`;
  R = runRscript(script, { 'scores.csv': `${rows.join('\n')}\n` });
});

function ref(key: string): number {
  const value = R.get(key);
  assert.ok(value !== undefined, `R printed no value for '${key}'`);
  return value;
}

/** Agreement to 1e-9 absolute, or relative for values above 1; NaN matches NaN only. */
function close(actual: number, expected: number, what: string, tolerance = 1e-9): void {
  if (Number.isNaN(expected)) {
    assert.ok(Number.isNaN(actual), `${what}: R gives NA/NaN, we give ${actual}`);
    return;
  }
  if (expected === Infinity) {
    assert.equal(actual, Infinity, what);
    return;
  }
  const error = Math.abs(actual - expected) / Math.max(1, Math.abs(expected));
  assert.ok(error <= tolerance, `${what}: ${actual} vs R ${expected} (error ${error.toExponential(2)})`);
}

function split(set: DataSet, which: 's1' | 's2'): { cases: Float64Array; controls: Float64Array } {
  return {
    cases: Float64Array.from(set[which].filter((_, i) => set.label[i] === 1)),
    controls: Float64Array.from(set[which].filter((_, i) => set.label[i] === 0)),
  };
}

test('AUC, DeLong variance and CI agree with pROC to 1e-9 on every data set', () => {
  for (const set of sets) {
    for (const which of ['s1', 's2'] as const) {
      const k = which === 's1' ? '1' : '2';
      const result = delongAuc(split(set, which));
      close(result.auc, ref(`${set.name} auc${k}`), `${set.name} AUC ${k}`);
      close(result.variance, ref(`${set.name} var${k}`), `${set.name} DeLong variance ${k}`);
    }
    const r1 = roc(set.s1, set.label.map((y) => y === 1));
    const ci = ciAuc(r1);
    close(ci.ci95[0], ref(`${set.name} ci1.lo`), `${set.name} CI lower`);
    close(ci.ci95[1], ref(`${set.name} ci1.hi`), `${set.name} CI upper`);
  }
});

test("paired DeLong test: z, p and the CI of the difference agree with pROC's roc.test to 1e-9", () => {
  for (const set of sets) {
    const t = delongPaired(split(set, 's1'), split(set, 's2'));
    close(t.statistic, ref(`${set.name} paired.z`), `${set.name} z`);
    close(t.pValue, ref(`${set.name} paired.p`), `${set.name} p`);
    close(t.ci?.[0] ?? NaN, ref(`${set.name} paired.lo`), `${set.name} CI lower`);
    close(t.ci?.[1] ?? NaN, ref(`${set.name} paired.hi`), `${set.name} CI upper`);
    const viaRocTest = rocTest(roc(set.s1, set.label.map((y) => y === 1)), roc(set.s2, set.label.map((y) => y === 1)));
    assert.equal(viaRocTest.method, "DeLong's test for two correlated ROC curves");
    close(viaRocTest.pValue, ref(`${set.name} paired.p`), `${set.name} rocTest p`);
  }
});

test("unpaired DeLong test (different test sets) agrees with pROC's roc.test(paired = FALSE)", () => {
  sets.forEach((set, i) => {
    const other = sets[i === sets.length - 1 ? 0 : i + 1] as DataSet;
    const t = delongUnpaired(split(set, 's1'), split(other, 's1'));
    close(t.statistic, ref(`${set.name} unpaired.D`), `${set.name} D`);
    close(t.df, ref(`${set.name} unpaired.df`), `${set.name} df`);
    close(t.pValue, ref(`${set.name} unpaired.p`), `${set.name} p`);
  });
});

test("Clopper–Pearson intervals match R's binom.test and Wilson intervals match prop.test", () => {
  proportions.forEach(([x, n], i) => {
    const [lo, hi] = clopperPearson(x, n);
    close(lo, ref(`cp ${i + 1} lo`), `Clopper–Pearson ${x}/${n} lower`);
    close(hi, ref(`cp ${i + 1} hi`), `Clopper–Pearson ${x}/${n} upper`);
    const [wlo, whi] = wilson(x, n);
    close(wlo, ref(`wilson ${i + 1} lo`), `Wilson ${x}/${n} lower`);
    close(whi, ref(`wilson ${i + 1} hi`), `Wilson ${x}/${n} upper`);
  });
  // The study's worked example: 85/88 → 96.59 % (90.36–99.29).
  const [lo, hi] = clopperPearson(85, 88);
  assert.equal((100 * lo).toFixed(2), '90.36');
  assert.equal((100 * hi).toFixed(2), '99.29');
});

test("exact binomial and McNemar tests match R's binom.test", () => {
  binomialTests.forEach(([x, n, p], i) => {
    close(binomialTest(x, n, { p }).pValue, ref(`binom ${i + 1} two`), `binom.test(${x}, ${n}, ${p})`);
    close(binomialTest(x, n, { p, alternative: 'less' }).pValue, ref(`binom ${i + 1} less`), `binom.test less (${x}, ${n})`);
    close(binomialTest(x, n, { p, alternative: 'greater' }).pValue, ref(`binom ${i + 1} greater`), `binom.test greater (${x}, ${n})`);
    if (p === 0.5) close(mcnemarExact(x, n - x).pValue, ref(`binom ${i + 1} two`), `McNemar exact b=${x}, c=${n - x}`);
  });
  assert.equal(mcnemarExact(0, 0).pValue, 1);
});

test("Fisher's exact test matches R's fisher.test (p to 1e-9; the odds ratio to R's uniroot tolerance)", () => {
  fisherTables.forEach((table, i) => {
    const t = fisherExact(table);
    close(t.pValue, ref(`fisher ${i + 1} p`), `Fisher p ${JSON.stringify(table)}`);
    close(fisherExact(table, { alternative: 'less' }).pValue, ref(`fisher ${i + 1} less`), `Fisher less ${JSON.stringify(table)}`);
    close(fisherExact(table, { alternative: 'greater' }).pValue, ref(`fisher ${i + 1} greater`), `Fisher greater ${JSON.stringify(table)}`);
    // R finds the conditional MLE and its limits with uniroot (tolerance ≈ 1.2e-4), on t below 1 and on 1/t above;
    // ours are bisected to full precision, so they agree to R's tolerance on the scale R solved on.
    const loose = (actual: number, expected: number, what: string): void => {
      if (!Number.isFinite(expected) || expected === 0) return assert.equal(actual, expected, what);
      const gap = expected <= 1 ? Math.abs(actual - expected) : Math.abs(1 / actual - 1 / expected);
      assert.ok(gap <= 2.5e-4, `${what}: ${actual} vs R ${expected}`);
    };
    loose(t.estimate ?? NaN, ref(`fisher ${i + 1} or`), `odds ratio ${JSON.stringify(table)}`);
    loose(t.ci?.[0] ?? NaN, ref(`fisher ${i + 1} lo`), `odds ratio lower ${JSON.stringify(table)}`);
    loose(t.ci?.[1] ?? NaN, ref(`fisher ${i + 1} hi`), `odds ratio upper ${JSON.stringify(table)}`);
  });
});

test("χ² tests match R's chisq.test with and without Yates' correction", () => {
  chiTables.forEach((table, i) => {
    const corrected = chiSquareTest(table);
    close(corrected.statistic, ref(`chisq ${i + 1} stat`), `χ² ${JSON.stringify(table)}`);
    close(corrected.pValue, ref(`chisq ${i + 1} p`), `χ² p ${JSON.stringify(table)}`);
    const raw = chiSquareTest(table, { correct: false });
    close(raw.statistic, ref(`chisq ${i + 1} stat.raw`), `χ² uncorrected ${JSON.stringify(table)}`);
    close(raw.pValue, ref(`chisq ${i + 1} p.raw`), `χ² uncorrected p ${JSON.stringify(table)}`);
  });
});

test('normal, χ² and t distributions match R to 1e-12 relative (tails included)', () => {
  const relative = (a: number, e: number, what: string): void => {
    assert.ok(Math.abs(a - e) <= 1e-12 * Math.abs(e) || Math.abs(a - e) < 1e-300, `${what}: ${a} vs R ${e}`);
  };
  zs.forEach((z, i) => relative(normalCdf(z), ref(`pnorm ${i + 1}`), `pnorm(${z})`));
  ps.forEach((p, i) => relative(normalQuantile(p), ref(`qnorm ${i + 1}`), `qnorm(${p})`));
  chis.forEach(([x, df], i) => relative(chiSquareUpper(x, df), ref(`pchisq ${i + 1}`), `pchisq(${x}, ${df})`));
  ts.forEach(([t, df], i) => relative(studentTUpper(t, df), ref(`pt ${i + 1}`), `pt(${t}, ${df})`));
});

test("invariants: DeLong's θ equals the Mann–Whitney AUC; swapping classes gives 1 − AUC", () => {
  for (const set of sets) {
    const scores = split(set, 's2');
    const { theta } = delongPlacements(scores);
    let wins = 0;
    for (const c of scores.cases) for (const n of scores.controls) wins += c > n ? 1 : c === n ? 0.5 : 0;
    close(theta, wins / (scores.cases.length * scores.controls.length), `${set.name} θ vs Mann–Whitney`, 1e-12);
    const swapped = delongAuc({ cases: scores.controls, controls: scores.cases });
    close(swapped.auc, 1 - theta, `${set.name} swapped classes`, 1e-12);
    const original = delongAuc(scores);
    close(swapped.variance, original.variance, `${set.name} swapped variance`, 1e-12);
  }
});
