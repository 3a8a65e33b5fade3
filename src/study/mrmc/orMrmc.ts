import { DrfdsError } from '../../errors/DrfdsError.js';
import type { ImrmcData } from '../imrmc/imrmcFormat.js';
import { fUpper, studentTQuantile } from '../../eval/stats/distributions.js';

/**
 * Multi-reader multi-case analysis of empirical AUCs by the Obuchowski–Rockette model with jackknife covariance
 * estimates and Hillis' denominator degrees of freedom, random readers and random cases — the method of OR-DBM MRMC,
 * RJafroc and MRMCaov. References: Obuchowski & Rockette, Commun Stat Simul Comput 1995; Hillis, Stat Med 2007;
 * Hillis, Obuchowski & Berbaum, Acad Radiol 2008.
 */
export interface ReaderModalityAuc {
  readonly reader: string;
  readonly modality: string;
  readonly auc: number;
}

export interface OrMrmcComparison {
  readonly modalities: readonly [string, string];
  /** AUC of the first modality minus AUC of the second, reader-averaged. */
  readonly difference: number;
  readonly standardError: number;
  readonly ci95: readonly [number, number];
  readonly df2: number;
  readonly t: number;
  readonly p: number;
}

export interface OrMrmcResult {
  readonly method: string;
  readonly readers: readonly string[];
  readonly modalities: readonly string[];
  readonly cases: { readonly normal: number; readonly diseased: number };
  readonly aucs: readonly ReaderModalityAuc[];
  readonly readerAveragedAuc: Readonly<Record<string, number>>;
  readonly varianceComponents: { readonly msT: number; readonly msTR: number; readonly var: number; readonly cov1: number; readonly cov2: number; readonly cov3: number };
  /** Global test that all modalities have equal reader-averaged AUC. */
  readonly F: number;
  readonly df1: number;
  readonly df2: number;
  readonly p: number;
  readonly comparisons: readonly OrMrmcComparison[];
}

/** Empirical (trapezoidal) AUC and its case-jackknife pseudo-AUCs, in O(n0·n1) via row and column sums. */
export function empiricalAucWithJackknife(
  normalScores: readonly number[],
  diseasedScores: readonly number[],
): { auc: number; jackknife: { normal: number[]; diseased: number[] } } {
  const n0 = normalScores.length;
  const n1 = diseasedScores.length;
  const rowSums = new Array<number>(n1).fill(0); // per diseased case: Σ over normals of ψ
  const columnSums = new Array<number>(n0).fill(0); // per normal case: Σ over diseased of ψ
  let total = 0;
  for (let d = 0; d < n1; d += 1) {
    const x1 = diseasedScores[d] as number;
    for (let h = 0; h < n0; h += 1) {
      const x0 = normalScores[h] as number;
      // Mann–Whitney kernel: ties count one half (Hanley & McNeil 1982).
      const psi = x1 > x0 ? 1 : x1 === x0 ? 0.5 : 0;
      rowSums[d] = (rowSums[d] as number) + psi;
      columnSums[h] = (columnSums[h] as number) + psi;
      total += psi;
    }
  }
  return {
    auc: total / (n0 * n1),
    jackknife: {
      normal: columnSums.map((column) => (total - column) / (n1 * (n0 - 1))),
      diseased: rowSums.map((row) => (total - row) / ((n1 - 1) * n0)),
    },
  };
}

export function orMrmc(data: ImrmcData): OrMrmcResult {
  const modalities = [...new Set(data.reads.map((r) => r.modality))].sort();
  const readers = [...new Set(data.reads.map((r) => r.reader))].sort(naturalCompare);
  const normalCases = [...data.truth].filter(([, t]) => t === 0).map(([id]) => id);
  const diseasedCases = [...data.truth].filter(([, t]) => t === 1).map(([id]) => id);
  if (modalities.length < 2) throw new DrfdsError('study/mrmc-design', `MRMC needs at least two modalities; the reads hold ${modalities.length}`);
  if (readers.length < 2) throw new DrfdsError('study/mrmc-design', 'MRMC with random readers needs at least two readers');
  if (normalCases.length < 2 || diseasedCases.length < 2) {
    throw new DrfdsError('study/mrmc-design', `MRMC needs at least two normal and two diseased cases (have ${normalCases.length} and ${diseasedCases.length})`);
  }
  const scoreOf = new Map<string, number>();
  for (const read of data.reads) {
    const key = `${read.modality}\u0000${read.reader}\u0000${read.caseId}`;
    if (scoreOf.has(key)) throw new DrfdsError('study/mrmc-design', `reader ${read.reader} read case ${read.caseId} twice in modality ${read.modality}`);
    scoreOf.set(key, read.score);
  }
  const t = modalities.length;
  const r = readers.length;
  const n = normalCases.length + diseasedCases.length;
  const aucs: ReaderModalityAuc[] = [];
  const pseudo: number[][] = []; // per (modality, reader): jackknife AUCs over all cases, normal first
  for (const modality of modalities) {
    for (const reader of readers) {
      const scores = (cases: string[]): number[] =>
        cases.map((caseId) => {
          const score = scoreOf.get(`${modality}\u0000${reader}\u0000${caseId}`);
          if (score === undefined) {
            throw new DrfdsError('study/mrmc-design', `fully crossed design needed: reader ${reader} has no score for case ${caseId} in modality ${modality}`);
          }
          return score;
        });
      const { auc, jackknife } = empiricalAucWithJackknife(scores(normalCases), scores(diseasedCases));
      aucs.push({ reader, modality, auc });
      pseudo.push([...jackknife.normal, ...jackknife.diseased]);
    }
  }
  const index = (i: number, j: number): number => i * r + j;
  const auc = (i: number, j: number): number => (aucs[index(i, j)] as ReaderModalityAuc).auc;

  // Jackknife covariance of AUC estimates (Efron 1982): (n−1)/n Σ_k (θ(k) − θ̄(·))(θ'(k) − θ̄'(·)).
  const means = pseudo.map((values) => values.reduce((a, b) => a + b, 0) / n);
  const covariance = (a: number, b: number): number => {
    const va = pseudo[a] as number[];
    const vb = pseudo[b] as number[];
    const ma = means[a] as number;
    const mb = means[b] as number;
    let sum = 0;
    for (let k = 0; k < n; k += 1) sum += ((va[k] as number) - ma) * ((vb[k] as number) - mb);
    return ((n - 1) / n) * sum;
  };
  const sums = { var: [0, 0], cov1: [0, 0], cov2: [0, 0], cov3: [0, 0] } as Record<'var' | 'cov1' | 'cov2' | 'cov3', [number, number]>;
  for (let i = 0; i < t; i += 1) {
    for (let j = 0; j < r; j += 1) {
      for (let i2 = 0; i2 < t; i2 += 1) {
        for (let j2 = 0; j2 < r; j2 += 1) {
          const kind = i === i2 ? (j === j2 ? 'var' : 'cov2') : j === j2 ? 'cov1' : 'cov3';
          const bucket = sums[kind];
          bucket[0] += covariance(index(i, j), index(i2, j2));
          bucket[1] += 1;
        }
      }
    }
  }
  const average = ([total, count]: [number, number]): number => total / count;
  const cov1 = average(sums.cov1);
  const cov2 = average(sums.cov2);
  const cov3 = average(sums.cov3);

  const modalityMeans = modalities.map((_, i) => readers.reduce((s, _r, j) => s + auc(i, j), 0) / r);
  const readerMeans = readers.map((_, j) => modalities.reduce((s, _m, i) => s + auc(i, j), 0) / t);
  const grand = modalityMeans.reduce((a, b) => a + b, 0) / t;
  const msT = (r / (t - 1)) * modalityMeans.reduce((s, m) => s + (m - grand) ** 2, 0);
  let ssTR = 0;
  for (let i = 0; i < t; i += 1) {
    for (let j = 0; j < r; j += 1) ssTR += (auc(i, j) - (modalityMeans[i] as number) - (readerMeans[j] as number) + grand) ** 2;
  }
  const msTR = ssTR / ((t - 1) * (r - 1));
  // Hillis (2007): the denominator uses max(Cov2 − Cov3, 0); ddf_H = denominator² / (MS(T×R)² / ((t−1)(r−1))).
  const denominator = msTR + r * Math.max(cov2 - cov3, 0);
  const F = msT / denominator;
  const df1 = t - 1;
  const df2 = denominator ** 2 / (msTR ** 2 / ((t - 1) * (r - 1)));
  const p = fUpper(F, df1, df2);

  const standardError = Math.sqrt((2 / r) * denominator);
  const tCritical = studentTQuantile(0.975, df2);
  const comparisons: OrMrmcComparison[] = [];
  for (let a = 0; a < t; a += 1) {
    for (let b = a + 1; b < t; b += 1) {
      const difference = (modalityMeans[a] as number) - (modalityMeans[b] as number);
      const tStatistic = difference / standardError;
      comparisons.push({
        modalities: [modalities[a] as string, modalities[b] as string],
        difference,
        standardError,
        ci95: [difference - tCritical * standardError, difference + tCritical * standardError],
        df2,
        t: tStatistic,
        p: fUpper(tStatistic ** 2, 1, df2),
      });
    }
  }
  return {
    method: "Obuchowski–Rockette, jackknife covariances, Hillis' ddf; random readers and random cases; empirical AUC",
    readers,
    modalities,
    cases: { normal: normalCases.length, diseased: diseasedCases.length },
    aucs,
    readerAveragedAuc: Object.fromEntries(modalities.map((m, i) => [m, modalityMeans[i] as number])),
    varianceComponents: { msT, msTR, var: average(sums.var), cov1, cov2, cov3 },
    F,
    df1,
    df2,
    p,
    comparisons,
  };
}

function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
