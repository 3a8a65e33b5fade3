import type { CohortCell, EvaluationReport, ModelReport, OperatingPoint, PerImageReport, ProportionReport, TestReport } from './Report.js';

/** The human report as neutral blocks, rendered to Markdown and to HTML from the same content. */
export type Block =
  | { kind: 'heading'; level: 1 | 2 | 3; text: string }
  | { kind: 'paragraph'; text: string }
  | { kind: 'table'; header: string[]; rows: string[][] }
  | { kind: 'figure'; chart: 'roc' | 'froc' | 'calibration'; caption: string };

export function percent(p: ProportionReport): string {
  if (p.estimate === null || p.ci95 === null) return `— (0/0)`;
  return `${(100 * p.estimate).toFixed(2)}% (${(100 * p.ci95[0]).toFixed(2)}–${(100 * p.ci95[1]).toFixed(2)}) ${p.count}/${p.total}`;
}

export function pValue(p: number | null): string {
  if (p === null) return '—';
  if (p < 0.0001) return p.toExponential(1).replace('e', '×10^');
  return p.toFixed(4);
}

function num(x: number | null | undefined, digits = 4): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits);
}

function aucText(perImage: PerImageReport): string {
  if (perImage.auc === null) return '—';
  const ci = perImage.auc.ci95 ? ` (${num(perImage.auc.ci95[0])}–${num(perImage.auc.ci95[1])})` : ' (CI undefined)';
  const boot = perImage.auc.bootstrap ? `; bootstrap ${num(perImage.auc.bootstrap.ci95[0])}–${num(perImage.auc.bootstrap.ci95[1])}` : '';
  return `${num(perImage.auc.estimate)}${ci}${boot}`;
}

function point(p: OperatingPoint | null | undefined): string {
  if (!p) return '—';
  return `t = ${num(p.threshold)}: sens ${num(100 * p.sensitivity, 2)}%, spec ${num(100 * p.specificity, 2)}%, J ${num(p.youdenIndex, 3)}`;
}

function test(t: TestReport | null): string {
  return t === null ? '—' : pValue(t.p);
}

function cohortCell(cell: CohortCell, kind: 'binary' | 'continuous' | 'categorical'): string {
  const missing = cell.missing > 0 ? ` [${cell.missing} missing]` : '';
  if (kind === 'continuous') return `${num(cell.mean ?? null, 2)} (${num(cell.sd ?? null, 2)})${missing}`;
  return `${cell.count ?? 0} (${num(cell.percent ?? null, 1)}%)${missing}`;
}

const perImageHeader = ['n', 'Pos / neg', 'AUC (95% CI)', 'Sensitivity', 'Specificity', 'Accuracy', 'PPV', 'NPV'];
function perImageRow(p: PerImageReport): string[] {
  return [String(p.n), `${p.positives} / ${p.negatives}`, aucText(p), percent(p.sensitivity), percent(p.specificity), percent(p.accuracy), percent(p.ppv), percent(p.npv)];
}

export function reportDocument(report: EvaluationReport): Block[] {
  const blocks: Block[] = [];
  const models = report.models;
  blocks.push({ kind: 'heading', level: 1, text: 'DR-FDS evaluation report' });
  blocks.push({
    kind: 'paragraph',
    text: `Truth: ${report.truth.source} — ${report.truth.images} images, ${report.truth.referenceBoxes} reference fracture boxes. ` +
      `Models: ${models.map((m) => `${m.name} (${m.source})`).join(', ')}. Image positive when its highest box score ≥ ${report.threshold}; ` +
      `a box is a true positive at IoU ≥ ${report.iouThreshold}. Intervals are 95%: exact Clopper–Pearson for proportions, DeLong for AUCs. ` +
      `Generated ${report.generatedAt} by drfds ${report.tool.version}.`,
  });

  const c = report.cohort;
  blocks.push({ kind: 'heading', level: 2, text: 'Cohort' });
  const share = (k: number): string => `${k} (${num((100 * k) / Math.max(1, c.n), 1)}%)`;
  blocks.push({
    kind: 'table',
    header: ['Characteristic', 'All', 'Fracture', 'Normal'],
    rows: [
      ['Images, n', String(c.n), String(c.fracture), String(c.normal)],
      ['Fracture / normal', `${share(c.fracture)} / ${share(c.normal)}`, '', ''],
      ['Reference boxes', String(c.referenceBoxes), String(c.referenceBoxes), '0'],
      ...c.rows.map((row) => [
        row.kind === 'categorical' ? `${row.field} = ${row.value ?? ''}, n (%)` : row.kind === 'continuous' ? `${row.field}, mean (SD)` : `${row.field}, n (%)`,
        cohortCell(row.all, row.kind),
        cohortCell(row.fracture, row.kind),
        cohortCell(row.normal, row.kind),
      ]),
    ],
  });

  blocks.push({ kind: 'heading', level: 2, text: `Per image (threshold ${report.threshold})` });
  blocks.push({ kind: 'table', header: ['Model', ...perImageHeader], rows: models.map((m) => [m.name, ...perImageRow(m.perImage)]) });
  blocks.push({ kind: 'figure', chart: 'roc', caption: `ROC curves; the marked point is the threshold ${report.threshold}.` });

  blocks.push({ kind: 'heading', level: 2, text: `Per box (IoU ≥ ${report.iouThreshold}, score ≥ ${report.threshold})` });
  const rates = models[0]?.perBox.froc.summary.fpPerImage ?? [];
  blocks.push({
    kind: 'table',
    header: ['Model', 'Recall', 'Precision', ...rates.map((r) => `Sens @ ${r} FP/img`), 'Mean (CPM)'],
    rows: models.map((m) => [
      m.name,
      percent(m.perBox.recall),
      percent(m.perBox.precision),
      ...m.perBox.froc.summary.sensitivity.map((s) => num(s, 3)),
      num(m.perBox.froc.summary.mean, 3),
    ]),
  });
  blocks.push({ kind: 'figure', chart: 'froc', caption: 'FROC curves: box sensitivity against false positives per image; dots at the standard rates.' });

  blocks.push({ kind: 'heading', level: 2, text: 'Operating points' });
  const target = models.find((m) => m.operatingPoints.targetSensitivity !== undefined)?.operatingPoints.targetSensitivity;
  blocks.push({
    kind: 'table',
    header: ['Model', 'Given threshold', "Youden's optimum", ...(target !== undefined ? ['Target sensitivity'] : [])],
    rows: models.map((m) => [
      m.name,
      point(m.operatingPoints.given),
      point(m.operatingPoints.youden),
      ...(target !== undefined ? [m.operatingPoints.targetSensitivity ? `≥ ${m.operatingPoints.targetSensitivity.target}: ${point(m.operatingPoints.targetSensitivity)}` : 'not reached'] : []),
    ]),
  });

  blocks.push({ kind: 'heading', level: 2, text: 'Calibration' });
  blocks.push({ kind: 'table', header: ['Model', 'Brier score', 'ECE (10 bins)'], rows: models.map((m) => [m.name, num(m.calibration.brierScore), num(m.calibration.expectedCalibrationError)]) });
  blocks.push({ kind: 'figure', chart: 'calibration', caption: 'Reliability diagram of the per-image score (10 equal-width bins).' });

  if (report.comparisons.length > 0) {
    blocks.push({ kind: 'heading', level: 2, text: 'Comparisons' });
    blocks.push({
      kind: 'table',
      header: ['Models', 'ΔAUC (95% CI)', 'z', 'p (DeLong)', 'p sens (McNemar)', 'p spec (McNemar)', 'p sens (Fisher)', 'p spec (Fisher)', 'p sens (χ²)', 'p spec (χ²)'],
      rows: report.comparisons.map((cmp) => [
        `${cmp.models[0]} vs ${cmp.models[1]}`,
        cmp.aucDelong ? `${num(cmp.aucDelong.difference)} (${cmp.aucDelong.ci95 ? `${num(cmp.aucDelong.ci95[0])} to ${num(cmp.aucDelong.ci95[1])}` : '—'})` : '—',
        num(cmp.aucDelong?.z ?? null, 3),
        pValue(cmp.aucDelong?.p ?? null),
        test(cmp.sensitivityMcNemar),
        test(cmp.specificityMcNemar),
        test(cmp.sensitivityFisher),
        test(cmp.specificityFisher),
        test(cmp.sensitivityChiSquare),
        test(cmp.specificityChiSquare),
      ]),
    });
  }

  const fields = Object.keys(models[0]?.subgroups ?? {});
  if (fields.length > 0) {
    blocks.push({ kind: 'heading', level: 2, text: 'Subgroups' });
    for (const field of fields) {
      blocks.push({ kind: 'heading', level: 3, text: field });
      blocks.push({
        kind: 'table',
        header: ['Model', 'Value', ...perImageHeader],
        rows: models.flatMap((m: ModelReport) => Object.entries(m.subgroups[field] ?? {}).map(([value, s]) => [m.name, value, ...perImageRow(s.perImage)])),
      });
      blocks.push({
        kind: 'paragraph',
        text: `Do sensitivity and specificity differ between the values of ${field}? ` +
          models.map((m) => {
            const t = m.subgroupTests[field];
            return `${m.name}: sensitivity p = ${test(t?.sensitivity ?? null)}${t?.sensitivity ? ` (${t.sensitivity.method})` : ''}, specificity p = ${test(t?.specificity ?? null)}`;
          }).join('; ') + '.',
      });
    }
  }

  blocks.push({ kind: 'heading', level: 2, text: 'Methods' });
  blocks.push({
    kind: 'paragraph',
    text: 'Per-image score = the highest box score on the image (0 without boxes). Sensitivity, specificity, accuracy, PPV, NPV, box recall and precision with exact Clopper–Pearson ' +
      "intervals; AUC with DeLong's variance (Sun & Xu's fast algorithm); paired AUCs compared with DeLong's test, paired sensitivities and specificities with the exact McNemar test, " +
      "and unpaired proportions with Fisher's exact and Yates-corrected χ² tests, as the study did. FROC summary: best sensitivity at ≤ 1/8 … 8 false positives per image and their mean. " +
      'References: docs/statistics.md.',
  });
  return blocks;
}
