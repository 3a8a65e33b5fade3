import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { UnitSpec } from 'vega-lite/types_unstable/spec/unit.js';
import type { ModelReport } from './Report.js';

/** Renders a Vega-Lite specification to a standalone SVG string, headless (renderer 'none'). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const WIDTH = 420;
const HEIGHT = 360;

/** The chance / perfect-calibration diagonal drawn under ROC and reliability curves. */
const DIAGONAL_LAYER: UnitSpec<string> = {
  data: { values: [{ x: 0, y: 0 }, { x: 1, y: 1 }] },
  mark: { type: 'line', strokeDash: [4, 4], color: '#999' },
  encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
};

/** The ROC curve of each model with its operating point at the report's threshold marked. */
export function rocSpec(models: ModelReport[], threshold: number): TopLevelSpec {
  const curve = models.flatMap((m) =>
    m.roc.sensitivities.map((s, i) => ({ model: m.name, fpr: 1 - (m.roc.specificities[i] as number), tpr: s, order: i })),
  );
  const points = models
    .filter((m) => m.perImage.sensitivity.estimate !== null && m.perImage.specificity.estimate !== null)
    .map((m) => ({ model: m.name, fpr: 1 - (m.perImage.specificity.estimate as number), tpr: m.perImage.sensitivity.estimate as number, label: `${m.name} @ ${threshold}` }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `ROC (per image) — point: threshold ${threshold}`,
    width: WIDTH,
    height: HEIGHT,
    layer: [
      DIAGONAL_LAYER,
      {
        data: { values: curve },
        mark: { type: 'line', interpolate: 'linear' },
        encoding: {
          x: { field: 'fpr', type: 'quantitative', title: '1 − specificity', scale: { domain: [0, 1] } },
          y: { field: 'tpr', type: 'quantitative', title: 'Sensitivity', scale: { domain: [0, 1] } },
          color: { field: 'model', type: 'nominal', title: 'Model' },
          order: { field: 'order', type: 'quantitative' },
        },
      },
      {
        data: { values: points },
        mark: { type: 'point', filled: true, size: 90, shape: 'diamond' },
        encoding: {
          x: { field: 'fpr', type: 'quantitative' },
          y: { field: 'tpr', type: 'quantitative' },
          color: { field: 'model', type: 'nominal' },
        },
      },
    ],
  };
}

/** FROC: box sensitivity against false positives per image (log₂ axis), the standard rates marked. */
export function frocSpec(models: ModelReport[]): TopLevelSpec {
  const minRate = 1 / 64;
  const curve = models.flatMap((m) => m.perBox.froc.points.map((p, i) => ({ model: m.name, fp: Math.max(minRate, p.fpPerImage), sensitivity: p.sensitivity, order: i })));
  const summary = models.flatMap((m) => m.perBox.froc.summary.fpPerImage.map((rate, i) => ({ model: m.name, fp: rate, sensitivity: m.perBox.froc.summary.sensitivity[i] as number })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'FROC (per box)',
    width: WIDTH,
    height: HEIGHT,
    layer: [
      {
        data: { values: curve },
        mark: { type: 'line', interpolate: 'step-after' },
        encoding: {
          x: {
            field: 'fp',
            type: 'quantitative',
            title: 'False positives per image',
            scale: { type: 'log', base: 2, domain: [minRate, 16] },
            axis: { values: [1 / 32, 1 / 8, 0.5, 2, 8], labelExpr: "datum.value < 1 ? '1/' + format(1 / datum.value, 'd') : format(datum.value, 'd')" },
          },
          y: { field: 'sensitivity', type: 'quantitative', title: 'Box sensitivity (recall)', scale: { domain: [0, 1] } },
          color: { field: 'model', type: 'nominal', title: 'Model' },
          order: { field: 'order', type: 'quantitative' },
        },
      },
      {
        data: { values: summary },
        mark: { type: 'point', filled: true, size: 40 },
        encoding: { x: { field: 'fp', type: 'quantitative' }, y: { field: 'sensitivity', type: 'quantitative' }, color: { field: 'model', type: 'nominal' } },
      },
    ],
  };
}

/** Reliability diagram: observed fracture rate against mean image score, per score bin. */
export function calibrationSpec(models: ModelReport[]): TopLevelSpec {
  const bins = models.flatMap((m) =>
    m.calibration.bins.filter((b) => b.count > 0).map((b) => ({ model: m.name, score: b.meanScore as number, observed: b.observedRate as number, count: b.count })),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Calibration (per image)',
    width: WIDTH,
    height: HEIGHT,
    layer: [
      DIAGONAL_LAYER,
      {
        data: { values: bins },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'score', type: 'quantitative', title: 'Mean image score in bin', scale: { domain: [0, 1] } },
          y: { field: 'observed', type: 'quantitative', title: 'Observed fracture rate', scale: { domain: [0, 1] } },
          color: { field: 'model', type: 'nominal', title: 'Model' },
        },
      },
    ],
  };
}

export interface ReportCharts {
  roc: string;
  froc: string;
  calibration: string;
}

export async function renderCharts(models: ModelReport[], threshold: number): Promise<ReportCharts> {
  const [roc, froc, calibration] = await Promise.all([renderSvg(rocSpec(models, threshold)), renderSvg(frocSpec(models)), renderSvg(calibrationSpec(models))]);
  return { roc, froc, calibration };
}
