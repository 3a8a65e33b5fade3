import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDrfdsError } from '../errors/DrfdsError.js';
import { repositoryRoot } from '../cli/packageVersion.js';
import { iou, matchImage } from './boxMatching.js';
import { parsePredictions, parseTruth, readJsonFile, type GroundTruth, type ModelPredictions } from './coco.js';
import { evaluate, groupBy, loadTruth } from './evaluate.js';
import { perImageMetrics } from './perImage.js';
import { delongAuc } from './stats/delong.js';
import { syntheticPredictions, syntheticTruth, type SyntheticCoco } from './testing/synthetic.js';
import { R_OUT, runRscript } from './testing/rscript.js';
import type { EvaluationReport } from './Report.js';

const coco = syntheticTruth(240, 11);
const truth = parseTruth(coco, 'synthetic.json');
const modelA = parsePredictions(syntheticPredictions(coco, 21, { hit: 0.85, separation: 1.4, fpPerImage: 0.5 }), truth, 'A.json', 'A');
const modelB = parsePredictions(syntheticPredictions(coco, 22, { hit: 0.7, separation: 0.7, fpPerImage: 0.7 }), truth, 'B.json', 'B');
let report: EvaluationReport;
let R: Map<string, number>;

before(() => {
  report = evaluate(truth, [modelA, modelB], { by: ['hip', 'site'], targetSensitivity: 0.8 });
  // The oracle: pROC and binom.test on the per-image scores the report was computed from.
  const rows = ['label,a,b'];
  truth.isFracture.forEach((f, i) => rows.push(`${f ? 1 : 0},${modelA.imageScores[i]},${modelB.imageScores[i]}`));
  const script = `${R_OUT}
suppressMessages(library(pROC))
d <- read.csv(file.path(commandArgs(TRUE)[1], 'scores.csv'))
for (m in c('a', 'b')) {
  r <- roc(d$label, d[[m]], levels = c(0, 1), direction = '<', quiet = TRUE)
  ci <- ci.auc(r, method = 'delong')
  out(paste(m, 'auc'), ci[2]); out(paste(m, 'lo'), ci[1]); out(paste(m, 'hi'), ci[3])
  pos <- d[[m]] >= 0.4
  for (k in list(list('sens', sum(pos & d$label == 1), sum(d$label == 1)), list('spec', sum(!pos & d$label == 0), sum(d$label == 0)),
                 list('ppv', sum(pos & d$label == 1), sum(pos)), list('npv', sum(!pos & d$label == 0), sum(!pos)))) {
    ci <- binom.test(k[[2]], k[[3]])$conf.int
    out(paste(m, k[[1]], 'lo'), ci[1]); out(paste(m, k[[1]], 'hi'), ci[2])
  }
}
ra <- roc(d$label, d$a, levels = c(0, 1), direction = '<', quiet = TRUE)
rb <- roc(d$label, d$b, levels = c(0, 1), direction = '<', quiet = TRUE)
t <- roc.test(ra, rb, method = 'delong', paired = TRUE)
out('z', t$statistic); out('p', t$p.value)
pa <- d$a >= 0.4; pb <- d$b >= 0.4; f <- d$label == 1
out('mcnemar.sens', binom.test(sum(pa & !pb & f), sum(xor(pa, pb) & f))$p.value)
out('mcnemar.spec', binom.test(sum(!pa & pb & !f), sum(xor(pa, pb) & !f))$p.value)
out('fisher.sens', fisher.test(matrix(c(sum(pa & f), sum(pb & f), sum(!pa & f), sum(!pb & f)), 2))$p.value)
out('chisq.spec', chisq.test(matrix(c(sum(!pa & !f), sum(!pb & !f), sum(pa & !f), sum(pb & !f)), 2))$p.value)
`;
  R = runRscript(script, { 'scores.csv': `${rows.join('\n')}\n` });
});

function near(actual: number | null | undefined, key: string, tolerance = 1e-9): void {
  const expected = R.get(key);
  assert.ok(expected !== undefined && actual !== null && actual !== undefined, `missing ${key}`);
  assert.ok(Math.abs(actual - expected) <= tolerance, `${key}: ${actual} vs R ${expected}`);
}

test('the report agrees with pROC and binom.test on the same per-image scores', () => {
  for (const [m, model] of [['a', report.models[0]], ['b', report.models[1]]] as const) {
    assert.ok(model);
    near(model.perImage.auc?.estimate, `${m} auc`);
    near(model.perImage.auc?.ci95?.[0], `${m} lo`);
    near(model.perImage.auc?.ci95?.[1], `${m} hi`);
    for (const k of ['sens', 'spec', 'ppv', 'npv'] as const) {
      const p = model.perImage[k === 'sens' ? 'sensitivity' : k === 'spec' ? 'specificity' : k];
      near(p.ci95?.[0], `${m} ${k} lo`);
      near(p.ci95?.[1], `${m} ${k} hi`);
    }
  }
  const cmp = report.comparisons[0];
  assert.ok(cmp);
  assert.deepEqual(cmp.models, ['A', 'B']);
  near(cmp.aucDelong?.z, 'z');
  near(cmp.aucDelong?.p, 'p');
  near(cmp.sensitivityMcNemar.p, 'mcnemar.sens');
  near(cmp.specificityMcNemar.p, 'mcnemar.spec');
  near(cmp.sensitivityFisher.p, 'fisher.sens');
  near(cmp.specificityChiSquare?.p, 'chisq.spec');
});

test('per-image score is the highest box score, 0 for an image without detections', () => {
  let withoutDetections = 0;
  truth.images.forEach((_, i) => {
    const boxes = modelA.boxesByImage[i] ?? [];
    if (boxes.length === 0) withoutDetections += 1;
    assert.equal(modelA.imageScores[i], boxes.length === 0 ? 0 : Math.max(...boxes.map((b) => b.score)));
  });
  assert.ok(withoutDetections > 10, 'the synthetic set should have images without detections');
  const p = report.models[0]?.perImage;
  assert.ok(p);
  assert.equal(p.n, coco.images.length);
  assert.equal(p.positives, new Set(coco.annotations.map((a) => a.image_id)).size);
  assert.equal(p.confusion.tp + p.confusion.fn, p.positives);
  assert.equal(p.sensitivity.count, truth.isFracture.filter((f, i) => f && (modelA.imageScores[i] as number) >= 0.4).length);
});

test('IoU and greedy matching: the higher-scoring box takes the reference, the other is a false positive', () => {
  assert.equal(iou([0, 0, 10, 10], [5, 0, 10, 10]), 50 / 150);
  assert.equal(iou([0, 0, 10, 10], [20, 20, 5, 5]), 0);
  assert.equal(iou([0, 0, 0, 0], [0, 0, 0, 0]), 0);
  const reference: Array<[number, number, number, number]> = [[0, 0, 100, 100], [200, 200, 50, 50]];
  const predicted = [
    { bbox: [0, 0, 90, 100] as [number, number, number, number], score: 0.9 }, // IoU 0.9 with the first
    { bbox: [0, 0, 100, 95] as [number, number, number, number], score: 0.8 }, // IoU 0.95 with the first, already taken
    { bbox: [210, 200, 50, 50] as [number, number, number, number], score: 0.7 }, // IoU 40·50/(2·2500 − 2000) = 2/3 with the second
    { bbox: [200, 200, 20, 20] as [number, number, number, number], score: 0.6 }, // IoU 0.16: below 0.5
  ];
  assert.deepEqual(matchImage(predicted, reference, 0.5).matchedReference, [0, -1, 1, -1]);
  assert.deepEqual(matchImage(predicted, reference, 0.7).matchedReference, [0, -1, -1, -1]);
});

test('per-box recall and precision count matched reference boxes and true-positive boxes at the threshold', () => {
  const small = parseTruth({
    images: [{ id: 1 }, { id: 2 }, { id: 3 }],
    annotations: [{ image_id: 1, category_id: 7, bbox: [0, 0, 100, 100] }, { image_id: 1, category_id: 7, bbox: [300, 300, 100, 100] }, { image_id: 2, category_id: 7, bbox: [0, 0, 50, 50] }],
    categories: [{ id: 7, name: 'fracture' }, { id: 8, name: 'implant' }],
  }, 'small.json');
  const predictions = parsePredictions([
    { image_id: 1, category_id: 7, bbox: [0, 0, 100, 100], score: 0.9 }, // TP
    { image_id: 1, category_id: 7, bbox: [2, 2, 100, 100], score: 0.85 }, // duplicate: FP
    { image_id: 2, category_id: 7, bbox: [0, 0, 50, 50], score: 0.3 }, // TP below the threshold
    { image_id: 3, category_id: 7, bbox: [10, 10, 30, 30], score: 0.5 }, // FP on a normal image
    { image_id: 3, category_id: 8, bbox: [10, 10, 30, 30], score: 0.99 }, // another class of the truth: ignored
  ], small, 'p.json', 'p');
  const r = evaluate(small, [predictions], { threshold: 0.4 }).models[0];
  assert.ok(r);
  assert.deepEqual([r.perBox.recall.count, r.perBox.recall.total], [1, 3]);
  assert.deepEqual([r.perBox.precision.count, r.perBox.precision.total], [1, 3]);
  // FROC: thresholds 0.9, 0.85, 0.5, 0.3 → (TP, FP) = (1,0), (1,1), (1,2), (2,2) over 3 images and 3 boxes.
  assert.deepEqual(r.perBox.froc.points.map((p) => [p.threshold, p.sensitivity, p.fpPerImage]), [[0.9, 1 / 3, 0], [0.85, 1 / 3, 1 / 3], [0.5, 1 / 3, 2 / 3], [0.3, 2 / 3, 2 / 3]]);
  assert.deepEqual(r.perBox.froc.summary.sensitivity, [1 / 3, 1 / 3, 1 / 3, 2 / 3, 2 / 3, 2 / 3, 2 / 3]);
  assert.deepEqual([r.perImage.positives, r.perImage.negatives, r.perImage.confusion.tp, r.perImage.confusion.fp], [2, 1, 1, 1]);
});

test('FROC is monotone and passes through the per-box recall at the threshold', () => {
  for (const m of report.models) {
    const pts = m.perBox.froc.points;
    for (let i = 1; i < pts.length; i += 1) {
      assert.ok((pts[i]?.threshold ?? 0) < (pts[i - 1]?.threshold ?? 0));
      assert.ok((pts[i]?.sensitivity ?? 0) >= (pts[i - 1]?.sensitivity ?? 0));
      assert.ok((pts[i]?.fpPerImage ?? 0) >= (pts[i - 1]?.fpPerImage ?? 0));
    }
    const atThreshold = pts.filter((p) => p.threshold >= report.threshold).at(-1);
    assert.equal(atThreshold?.sensitivity, m.perBox.recall.estimate);
  }
});

test('subgroups repeat the per-image metrics on each value; their counts add up', () => {
  for (const field of ['hip', 'site']) {
    const model = report.models[0];
    assert.ok(model);
    const groups = groupBy(truth, field);
    const byValue = model.subgroups[field] ?? {};
    assert.deepEqual(Object.keys(byValue), groups.map(([v]) => v));
    assert.equal(Object.values(byValue).reduce((n, s) => n + s.perImage.n, 0), truth.images.length);
    for (const [value, idx] of groups) {
      const expected = perImageMetrics(Float64Array.from(idx, (i) => modelA.imageScores[i] as number), idx.map((i) => truth.isFracture[i] as boolean), 0.4).report;
      assert.deepEqual(byValue[value]?.perImage, expected);
    }
    assert.ok(model.subgroupTests[field]?.sensitivity !== undefined);
  }
  assert.match(model0().subgroupTests.site?.sensitivity?.method ?? '', /Chi-squared/);
  assert.match(model0().subgroupTests.hip?.sensitivity?.method ?? '', /Fisher/);
});

function model0(): EvaluationReport['models'][number] {
  const m = report.models[0];
  assert.ok(m);
  return m;
}

test("operating points: Youden's optimum maximises J over the ROC; the target threshold is the strictest reaching it", () => {
  const m = model0();
  const js = m.roc.sensitivities.map((s, i) => s + (m.roc.specificities[i] as number) - 1);
  assert.equal(m.operatingPoints.youden?.youdenIndex, Math.max(...js.slice(1)));
  const target = m.operatingPoints.targetSensitivity;
  assert.ok(target);
  const sensAt = (t: number): number => truth.isFracture.filter((f, i) => f && (modelA.imageScores[i] as number) >= t).length / report.models[0]!.perImage.positives;
  assert.ok(sensAt(target.threshold) >= 0.8);
  const stricter = [...new Set(modelA.imageScores)].filter((s) => s > target.threshold);
  assert.ok(stricter.every((s) => sensAt(s) < 0.8));
  assert.equal(m.operatingPoints.given.sensitivity, m.perImage.sensitivity.estimate);
});

test('calibration: Brier score and ECE from their definitions', () => {
  const m = model0();
  let brier = 0;
  truth.isFracture.forEach((f, i) => { brier += ((modelA.imageScores[i] as number) - (f ? 1 : 0)) ** 2; });
  assert.ok(Math.abs(m.calibration.brierScore - brier / truth.images.length) < 1e-12);
  assert.equal(m.calibration.bins.reduce((n, b) => n + b.count, 0), truth.images.length);
  const ece = m.calibration.bins.reduce((s, b) => (b.count > 0 ? s + (b.count / truth.images.length) * Math.abs((b.observedRate as number) - (b.meanScore as number)) : s), 0);
  assert.ok(Math.abs(m.calibration.expectedCalibrationError - ece) < 1e-12);
});

test('the stratified bootstrap CI is seeded, brackets the AUC and is about as wide as DeLong', () => {
  const options = { bootstrap: { bootN: 400, seed: 5, stratified: true } };
  const a = perImageMetrics(modelA.imageScores, truth.isFracture, 0.4, options).report.auc;
  const b = perImageMetrics(modelA.imageScores, truth.isFracture, 0.4, options).report.auc;
  const c = perImageMetrics(modelA.imageScores, truth.isFracture, 0.4, { bootstrap: { bootN: 400, seed: 6, stratified: true } }).report.auc;
  assert.ok(a?.bootstrap && b?.bootstrap && c?.bootstrap && a.ci95);
  assert.deepEqual(a.bootstrap.ci95, b.bootstrap.ci95);
  assert.notDeepEqual(a.bootstrap.ci95, c.bootstrap.ci95);
  assert.ok(a.bootstrap.ci95[0] < a.estimate && a.estimate < a.bootstrap.ci95[1]);
  const ratio = (a.bootstrap.ci95[1] - a.bootstrap.ci95[0]) / (a.ci95[1] - a.ci95[0]);
  assert.ok(ratio > 0.7 && ratio < 1.4, `bootstrap/DeLong width ratio ${ratio}`);
});

test('cohort table counts binary, numeric and categorical fields by class', () => {
  const rows = report.cohort.rows;
  const hip = rows.find((r) => r.field === 'hip');
  assert.equal(hip?.kind, 'binary');
  assert.equal(hip?.all.count, coco.images.filter((im) => im.hip === 1).length);
  const age = rows.find((r) => r.field === 'age');
  assert.equal(age?.kind, 'continuous');
  const ages = coco.images.map((im) => im.age as number);
  assert.ok(Math.abs((age?.all.mean ?? NaN) - ages.reduce((a, b) => a + b, 0) / ages.length) < 1e-9);
  assert.deepEqual(rows.filter((r) => r.field === 'site').map((r) => r.value), ['A', 'B', 'C']);
  assert.ok(!rows.some((r) => r.field === 'width' || r.field === 'file_name'));
  assert.equal(report.cohort.fracture + report.cohort.normal, report.cohort.n);
});

function expectError(fn: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(isDrfdsError(error), `expected a DrfdsError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    return true;
  });
}

test('bad input: each error names the offending entry', () => {
  const ok = { image_id: 1000, category_id: 1, bbox: [1, 2, 3, 4], score: 0.5 };
  expectError(() => parsePredictions([ok, { ...ok, image_id: 99 }], truth, 'p.json', 'p'), 'EVAL_UNKNOWN_IMAGE', /p\.json: entry \[1\] has image_id 99/);
  expectError(() => parsePredictions([{ ...ok, bbox: [0, 0, -5, 4] }], truth, 'p.json', 'p'), 'EVAL_BAD_BOX', /entry \[0\] \(image_id 1000\) has a negative width/);
  expectError(() => parsePredictions([ok, ok, { ...ok, score: 1.2 }], truth, 'p.json', 'p'), 'EVAL_BAD_SCORE', /entry \[2\] \(image_id 1000\) has score 1\.2/);
  expectError(() => parsePredictions([{ ...ok, score: -0.1 }], truth, 'p.json', 'p'), 'EVAL_BAD_SCORE', /score -0\.1/);
  expectError(() => parsePredictions([{ ...ok, category_id: 3 }], truth, 'p.json', 'p'), 'EVAL_BAD_PREDICTIONS', /entry \[0\] \(image_id 1000\) has category_id 3, which is not a category of the truth/);
  expectError(() => parsePredictions([{ ...ok, bbox: [1, 2, 3] }], truth, 'p.json', 'p'), 'EVAL_BAD_BOX', /four finite numbers/);
  expectError(() => parsePredictions({ results: [] }, truth, 'p.json', 'p'), 'EVAL_BAD_PREDICTIONS', /COCO results array/);
  const bad: SyntheticCoco = structuredClone(coco);
  bad.annotations.push({ id: 9999, image_id: 5, category_id: 1, bbox: [0, 0, 1, 1], area: 1, iscrowd: 0 });
  expectError(() => parseTruth(bad, 't.json'), 'EVAL_UNKNOWN_IMAGE', new RegExp(`annotations\\[${bad.annotations.length - 1}\\] refers to image_id 5`));
  const negative: SyntheticCoco = structuredClone(coco);
  (negative.annotations[3] as { bbox: number[] }).bbox = [0, 0, 10, -1];
  expectError(() => parseTruth(negative, 't.json'), 'EVAL_BAD_BOX', /annotations\[3\].*negative width or height/);
  expectError(() => parseTruth({ ...coco, categories: [{ id: 1, name: 'lesion' }] }, 't.json'), 'EVAL_BAD_TRUTH', /no category named "fracture"/);
  expectError(() => parseTruth({ images: [{ id: 1 }, { id: 1 }], categories: [{ id: 1, name: 'fracture' }] }, 't.json'), 'EVAL_BAD_TRUTH', /images\[1\] repeats image id 1/);
  expectError(() => evaluate(truth, [modelA], { by: ['scanner'] }), 'EVAL_UNKNOWN_FIELD', /"scanner".*fields present: .*hip/);
  expectError(() => evaluate(truth, [modelA, { ...modelB, name: 'A' }]), 'EVAL_DUPLICATE_MODEL', /"A"/);
  const dir = mkdtempSync(join(tmpdir(), 'drfds-eval-'));
  try {
    writeFileSync(join(dir, 'empty.json'), '');
    writeFileSync(join(dir, 'broken.json'), '[{"image_id": 1,');
    expectError(() => readJsonFile(join(dir, 'empty.json'), 'predictions'), 'EVAL_EMPTY_FILE', /empty\.json is empty/);
    expectError(() => readJsonFile(join(dir, 'broken.json'), 'predictions'), 'EVAL_BAD_JSON', /broken\.json is not valid JSON/);
    expectError(() => readJsonFile(join(dir, 'absent.json'), 'truth'), 'EVAL_FILE_UNREADABLE', /absent\.json: no such file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('all images of one class: AUC is null, proportions of the empty class are null, nothing throws', () => {
  const normals = parseTruth({ images: [{ id: 1 }, { id: 2 }], annotations: [], categories: [{ id: 1, name: 'fracture' }] }, 'n.json');
  const p = parsePredictions([{ image_id: 1, category_id: 1, bbox: [0, 0, 5, 5], score: 0.7 }], normals, 'p.json', 'p');
  const r = evaluate(normals, [p, { ...p, name: 'q' }]);
  assert.equal(r.models[0]?.perImage.auc, null);
  assert.equal(r.models[0]?.perImage.sensitivity.estimate, null);
  assert.equal(r.models[0]?.perImage.specificity.estimate, 0.5);
  assert.equal(r.comparisons[0]?.aucDelong, null);
});

test('FracAtlas (3,983 images): subgroups by hip and hardware on the real annotation file', (t) => {
  const path = join(repositoryRoot(), '..', 'shared', 'data', 'fracatlas', 'annotations.coco.json');
  if (!existsSync(path)) {
    t.skip(`the shared data set is not at ${path}`);
    return;
  }
  const atlas: GroundTruth = loadTruth(path);
  const raw = readJsonFile(path, 'truth') as SyntheticCoco;
  const predictions: ModelPredictions = parsePredictions(syntheticPredictions(raw, 3, { hit: 0.8, separation: 1.2, fpPerImage: 0.3 }), atlas, 'sim.json', 'sim');
  const r = evaluate(atlas, [predictions], { by: ['hip', 'hardware'] });
  const m = r.models[0];
  assert.ok(m);
  assert.equal(m.perImage.n, 3983);
  assert.equal(m.perImage.positives, new Set(raw.annotations.map((a) => a.image_id)).size);
  assert.equal(m.perBox.referenceBoxes, raw.annotations.length);
  assert.equal(Object.values(m.subgroups.hip ?? {}).reduce((n, s) => n + s.perImage.positives, 0), m.perImage.positives);
  const direct = delongAuc({
    cases: Float64Array.from(atlas.isFracture.flatMap((f, i) => (f ? [predictions.imageScores[i] as number] : []))),
    controls: Float64Array.from(atlas.isFracture.flatMap((f, i) => (f ? [] : [predictions.imageScores[i] as number]))),
  });
  assert.equal(m.perImage.auc?.estimate, direct.auc);
});
