import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { repositoryRoot } from '../../cli/packageVersion.js';
import { parseImrmc } from '../imrmc/imrmcFormat.js';
import { orMrmc, empiricalAucWithJackknife } from './orMrmc.js';
import { fUpper, studentTQuantile } from '../../eval/stats/distributions.js';

const vanDyke = join(repositoryRoot(), '..', 'shared', 'data', 'mrmc', 'vandyke.imrmc');

// Published OR-DBM MRMC 2.51 output for the Van Dyke et al. (1993) study (shared/data/mrmc/README.md).
test('Van Dyke reader study matches the published OR-DBM MRMC output', () => {
  const result = orMrmc(parseImrmc(readFileSync(vanDyke, 'utf8'), 'vandyke.imrmc'));
  const expected: Record<string, number[]> = {
    '0': [0.91964573, 0.85877617, 0.90386473, 0.97310789, 0.82979066],
    '1': [0.94782609, 0.90531401, 0.92173913, 0.99935588, 0.92995169],
  };
  for (const [modality, values] of Object.entries(expected)) {
    const got = result.aucs.filter((a) => a.modality === modality).map((a) => a.auc);
    values.forEach((value, i) => assert.ok(Math.abs((got[i] as number) - value) < 5e-9, `modality ${modality} reader ${i + 1}: ${got[i]} vs ${value}`));
  }
  assert.ok(Math.abs((result.readerAveragedAuc['0'] as number) - 0.89703704) < 5e-9);
  assert.ok(Math.abs((result.readerAveragedAuc['1'] as number) - 0.94083736) < 5e-9);
  assert.ok(Math.abs(result.varianceComponents.cov2 - 0.00034407) < 5e-9);
  assert.ok(Math.abs(result.varianceComponents.cov3 - 0.00023903) < 5e-9);
  assert.equal(result.F.toFixed(2), '4.46');
  assert.equal(result.df2.toFixed(2), '15.26');
  assert.equal(result.p.toFixed(4), '0.0517');
  const [comparison] = result.comparisons;
  assert.ok(comparison);
  assert.ok(Math.abs(comparison.difference - -0.04380032) < 5e-9);
  assert.equal(comparison.standardError.toFixed(5), '0.02075');
  assert.equal(comparison.ci95[0].toFixed(5), '-0.08796');
  assert.equal(comparison.ci95[1].toFixed(5), '0.00036');
  assert.ok(Math.abs(comparison.p - result.p) < 1e-12, 'with two modalities the pairwise t test is the global F test');
});

test('jackknife pseudo-AUCs equal AUCs recomputed without each case', () => {
  const normal = [0.1, 0.4, 0.4, 0.7];
  const diseased = [0.4, 0.8, 0.9];
  const { auc, jackknife } = empiricalAucWithJackknife(normal, diseased);
  const direct = (n0: number[], n1: number[]): number => {
    let s = 0;
    for (const x1 of n1) for (const x0 of n0) s += x1 > x0 ? 1 : x1 === x0 ? 0.5 : 0;
    return s / (n0.length * n1.length);
  };
  assert.equal(auc, direct(normal, diseased));
  normal.forEach((_, k) => assert.ok(Math.abs((jackknife.normal[k] as number) - direct(normal.filter((_, i) => i !== k), diseased)) < 1e-15));
  diseased.forEach((_, k) => assert.ok(Math.abs((jackknife.diseased[k] as number) - direct(normal, diseased.filter((_, i) => i !== k))) < 1e-15));
});

test('F and t distributions agree with R (pf, qt)', () => {
  const r = execFileSync('Rscript', ['-e', 'cat(sprintf("%.17g", c(pf(4.46, 1, 15.26, lower.tail=FALSE), pf(0.3, 3, 7.5, lower.tail=FALSE), qt(0.975, 15.26), qt(0.1, 3.3))), sep="\\n")'], { encoding: 'utf8' })
    .trim().split('\n').map(Number);
  const ours = [fUpper(4.46, 1, 15.26), fUpper(0.3, 3, 7.5), studentTQuantile(0.975, 15.26), studentTQuantile(0.1, 3.3)];
  ours.forEach((value, i) => assert.ok(Math.abs(value - (r[i] as number)) < 1e-10, `${i}: ${value} vs ${r[i]}`));
});

test('a design that is not fully crossed is refused with the missing read named', () => {
  const text = 'x\nBEGIN DATA:\n-1,1,truth,0\n-1,2,truth,0\n-1,3,truth,1\n-1,4,truth,1\n' +
    ['A', 'B'].flatMap((m) => ['1', '2'].flatMap((r) => ['1', '2', '3', '4'].map((c) => `${r},${c},${m},${Number(c) * (m === 'A' ? 1 : 2)}`)))
      .filter((row) => row !== '2,3,B,6').join('\n');
  assert.throws(() => orMrmc(parseImrmc(text)), /reader 2 has no score for case 3 in modality B/);
});

test('iMRMC parsing names the faulty line', () => {
  assert.throws(() => parseImrmc('header\nBEGIN DATA:\n-1,1,truth,0\n1,1,A,abc\n', 'f.imrmc'), /f\.imrmc line 4: score "abc" is not a number/);
  assert.throws(() => parseImrmc('no data marker'), /BEGIN DATA/);
  assert.throws(() => parseImrmc('N0:2\nBEGIN DATA:\n-1,1,truth,0\n'), /header says N0:2 but the data hold 1/);
});
