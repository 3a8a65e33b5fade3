import type { OrMrmcResult } from '../mrmc/orMrmc.js';

/** report.json of `drfds study analyze`: stable keys, documented in docs/reader-study-analysis.md. */
export interface MrmcReport {
  readonly modalities: Record<string, { readers: Record<string, { auc: number }>; readerAveragedAuc: number }>;
  readonly cases: { readonly normal: number; readonly diseased: number };
  readonly mrmc: {
    readonly method: string;
    readonly modalities: readonly string[];
    /** First modality minus second (for two modalities; the first pair otherwise). */
    readonly difference: number;
    readonly standardError: number;
    readonly ci95: readonly [number, number];
    readonly F: number;
    readonly df1: number;
    readonly df2: number;
    readonly p: number;
    readonly varianceComponents: OrMrmcResult['varianceComponents'];
    readonly comparisons: OrMrmcResult['comparisons'];
  };
}

export function buildMrmcReport(result: OrMrmcResult): MrmcReport {
  const modalities: MrmcReport['modalities'] = {};
  for (const modality of result.modalities) {
    const readers: Record<string, { auc: number }> = {};
    for (const entry of result.aucs.filter((a) => a.modality === modality)) readers[entry.reader] = { auc: entry.auc };
    modalities[modality] = { readers, readerAveragedAuc: result.readerAveragedAuc[modality] as number };
  }
  const first = result.comparisons[0];
  if (!first) throw new Error('an MRMC result always holds at least one comparison');
  return {
    modalities,
    cases: result.cases,
    mrmc: {
      method: result.method,
      modalities: first.modalities,
      difference: first.difference,
      standardError: first.standardError,
      ci95: first.ci95,
      F: result.F,
      df1: result.df1,
      df2: result.df2,
      p: result.p,
      varianceComponents: result.varianceComponents,
      comparisons: result.comparisons,
    },
  };
}

const fixed = (value: number, digits = 4): string => value.toFixed(digits);

export function mrmcReportMarkdown(report: MrmcReport): string {
  const names = Object.keys(report.modalities);
  const readers = [...new Set(names.flatMap((m) => Object.keys(report.modalities[m]?.readers ?? {})))];
  const lines = [
    '# Reader study: multi-reader multi-case analysis',
    '',
    `${report.cases.normal} normal and ${report.cases.diseased} diseased cases, ${readers.length} readers, modalities ${names.join(', ')}.`,
    '',
    `| reader | ${names.map((m) => `AUC ${m}`).join(' | ')} |`,
    `|---|${names.map(() => '---').join('|')}|`,
    ...readers.map((reader) => `| ${reader} | ${names.map((m) => fixed(report.modalities[m]?.readers[reader]?.auc ?? Number.NaN)).join(' | ')} |`),
    `| reader-averaged | ${names.map((m) => fixed(report.modalities[m]?.readerAveragedAuc ?? Number.NaN)).join(' | ')} |`,
    '',
    `Method: ${report.mrmc.method}.`,
    '',
    '| comparison | difference | std. error | 95% CI | ddf | p |',
    '|---|---|---|---|---|---|',
    ...report.mrmc.comparisons.map((c) => `| ${c.modalities[0]} − ${c.modalities[1]} | ${fixed(c.difference, 5)} | ${fixed(c.standardError, 5)} | ${fixed(c.ci95[0], 5)} to ${fixed(c.ci95[1], 5)} | ${fixed(c.df2, 2)} | ${fixed(c.p)} |`),
    '',
    `Global test of equal AUCs: F(${report.mrmc.df1}, ${fixed(report.mrmc.df2, 2)}) = ${fixed(report.mrmc.F, 2)}, p = ${fixed(report.mrmc.p)}.`,
    '',
  ];
  return lines.join('\n');
}
