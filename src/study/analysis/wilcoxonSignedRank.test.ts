import assert from 'node:assert/strict';
import { test } from 'node:test';
import { R_OUT, runRscript } from '../../eval/testing/rscript.js';
import { wilcoxonSignedRank } from './wilcoxonSignedRank.js';

// Oracle: R's stats::wilcox.test(x, y, paired = TRUE) on the same numbers, computed in the test.
const cases: Record<string, { x: number[]; y: number[] }> = {
  exact: { x: [12.1, 30.5, 8.2, 44.0, 19.9, 25.3, 17.7, 9.4, 33.3, 21.0], y: [10.0, 22.4, 9.1, 35.2, 15.5, 20.1, 18.9, 6.6, 28.8, 19.4] },
  ties: { x: [5, 7, 9, 11, 13, 15, 4, 6, 8], y: [4, 6, 8, 10, 12, 16, 5, 6, 3] },
  large: { x: Array.from({ length: 60 }, (_, i) => 20 + ((i * 37) % 23) + (i % 5) * 0.5), y: Array.from({ length: 60 }, (_, i) => 18 + ((i * 29) % 19) + (i % 7) * 0.25) },
};

test('Wilcoxon signed-rank matches R wilcox.test(paired = TRUE): exact, ties/zeros, normal approximation', () => {
  const script = [R_OUT, ...Object.entries(cases).map(([name, { x, y }]) => [
    `r <- suppressWarnings(wilcox.test(c(${x.join(',')}), c(${y.join(',')}), paired = TRUE))`,
    `out('${name} V', r$statistic)`,
    `out('${name} p', r$p.value)`,
  ].join('\n'))].join('\n');
  const r = runRscript(script);
  for (const [name, { x, y }] of Object.entries(cases)) {
    const ours = wilcoxonSignedRank(x, y);
    assert.equal(ours.statistic, r.get(`${name} V`), `${name} V`);
    const expected = r.get(`${name} p`) as number;
    assert.ok(Math.abs(ours.pValue - expected) < 1e-12, `${name} p: ${ours.pValue} vs R ${expected}`);
  }
  assert.equal(wilcoxonSignedRank(cases.exact!.x, cases.exact!.y).exact, true);
  assert.equal(wilcoxonSignedRank(cases.ties!.x, cases.ties!.y).exact, false);
  assert.equal(wilcoxonSignedRank([1, 2], [1, 2]).pValue, 1);
});
