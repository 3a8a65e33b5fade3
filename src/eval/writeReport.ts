import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DrfdsError } from '../errors/DrfdsError.js';
import { renderCharts } from './charts.js';
import { renderHtml } from './renderHtml.js';
import { FIGURE_FILES, renderMarkdown } from './renderMarkdown.js';
import { reportDocument } from './reportDocument.js';
import type { EvaluationReport } from './Report.js';

/** JSON of the report; non-finite numbers (never expected in a valid report) become null. */
export function reportJson(report: EvaluationReport): string {
  return `${JSON.stringify(report, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2)}\n`;
}

/** Writes report.json, report.html (self-contained), report.md and the SVG figures into `dir`; returns the paths. */
export async function writeReport(report: EvaluationReport, dir: string): Promise<string[]> {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new DrfdsError('EVAL_OUTPUT', `cannot create the report folder ${dir}: ${(error as Error).message}`);
  }
  const blocks = reportDocument(report);
  const charts = await renderCharts(report.models, report.threshold);
  const files: Array<[string, string]> = [
    ['report.json', reportJson(report)],
    ['report.html', renderHtml(blocks, charts)],
    ['report.md', renderMarkdown(blocks)],
    [FIGURE_FILES.roc, charts.roc],
    [FIGURE_FILES.froc, charts.froc],
    [FIGURE_FILES.calibration, charts.calibration],
  ];
  return files.map(([name, content]) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  });
}
