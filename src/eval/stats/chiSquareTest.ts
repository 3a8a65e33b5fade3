import { chiSquareUpper } from './distributions.js';
import type { StatisticalTest } from './StatisticalTest.js';

// Pearson's χ² test of independence for an r×c table, Yates' continuity correction on 2×2 tables
// (Pearson 1900, Phil Mag 50:157; Yates 1934, J R Stat Soc Suppl 1:217), as R's chisq.test.
export function chiSquareTest(table: number[][], options: { correct?: boolean } = {}): StatisticalTest & { df: number } {
  const correct = options.correct ?? true;
  const rows = table.length;
  const columns = table[0]?.length ?? 0;
  if (rows < 2 || columns < 2 || table.some((row) => row.length !== columns)) {
    throw new RangeError('the χ² test needs a table of at least 2 rows and 2 columns');
  }
  const rowSums = table.map((row) => row.reduce((s, v) => s + v, 0));
  const columnSums = Array.from({ length: columns }, (_, j) => table.reduce((s, row) => s + (row[j] as number), 0));
  const total = rowSums.reduce((s, v) => s + v, 0);
  const expected = table.map((_, i) => columnSums.map((cs) => ((rowSums[i] as number) * cs) / total));
  let yates = 0;
  if (correct && rows === 2 && columns === 2) {
    yates = 0.5;
    for (let i = 0; i < 2; i += 1) {
      for (let j = 0; j < 2; j += 1) yates = Math.min(yates, Math.abs((table[i]![j] as number) - (expected[i]![j] as number)));
    }
  }
  let statistic = 0;
  for (let i = 0; i < rows; i += 1) {
    for (let j = 0; j < columns; j += 1) {
      const e = expected[i]![j] as number;
      const deviation = Math.abs((table[i]![j] as number) - e) - yates;
      statistic += (deviation * deviation) / e;
    }
  }
  const df = (rows - 1) * (columns - 1);
  return {
    statistic,
    statisticName: 'X-squared',
    pValue: chiSquareUpper(statistic, df),
    df,
    method: yates > 0 || (correct && rows === 2 && columns === 2)
      ? "Pearson's Chi-squared test with Yates' continuity correction"
      : "Pearson's Chi-squared test",
    alternative: 'two.sided',
  };
}
