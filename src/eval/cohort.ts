import type { GroundTruth } from './coco.js';
import type { CohortCell, CohortReport, CohortRow } from './Report.js';

/** Fields of a COCO image that describe the file, not the patient or acquisition: left out of the cohort table. */
const FILE_FIELDS = new Set(['id', 'file_name', 'width', 'height', 'original_width', 'original_height', 'license', 'coco_url', 'flickr_url', 'date_captured', 'path']);
const MAX_CATEGORIES = 25;

type Kind = 'binary' | 'continuous' | 'categorical';

function kindOf(values: unknown[]): Kind | null {
  const present = values.filter((v) => v !== undefined && v !== null && v !== '');
  if (present.length === 0) return null;
  if (present.every((v) => v === 0 || v === 1 || v === true || v === false)) return 'binary';
  if (present.every((v) => typeof v === 'number' && Number.isFinite(v))) return 'continuous';
  if (present.every((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) return 'categorical';
  return null;
}

// The study's Table 1 from the image fields present: n, normal and fracture counts; counts and percentages of
// binary and categorical fields; mean (SD) of numeric ones — overall and by class.
export function cohortTable(truth: GroundTruth): CohortReport {
  const fields = new Set<string>();
  for (const image of truth.images) for (const key of Object.keys(image.fields)) if (!FILE_FIELDS.has(key)) fields.add(key);
  const groups = {
    all: truth.images.map((_, i) => i),
    fracture: truth.images.map((_, i) => i).filter((i) => truth.isFracture[i]),
    normal: truth.images.map((_, i) => i).filter((i) => !truth.isFracture[i]),
  };
  const rows: CohortRow[] = [];
  for (const field of [...fields].sort()) {
    const valueOf = (i: number): unknown => truth.images[i]?.fields[field];
    const kind = kindOf(truth.images.map((_, i) => valueOf(i)));
    if (kind === null) continue;
    const missing = (idx: number[]): number => idx.filter((i) => valueOf(i) === undefined || valueOf(i) === null || valueOf(i) === '').length;
    if (kind === 'binary') {
      const cell = (idx: number[]): CohortCell => {
        const known = idx.length - missing(idx);
        const count = idx.filter((i) => valueOf(i) === 1 || valueOf(i) === true).length;
        return { n: idx.length, count, percent: known > 0 ? (100 * count) / known : null, missing: missing(idx) };
      };
      rows.push({ field, kind, all: cell(groups.all), fracture: cell(groups.fracture), normal: cell(groups.normal) });
    } else if (kind === 'continuous') {
      const cell = (idx: number[]): CohortCell => {
        const xs = idx.map(valueOf).filter((v): v is number => typeof v === 'number');
        const mean = xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
        const sd = xs.length > 1 && mean !== null ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : null;
        return { n: idx.length, mean, sd, missing: missing(idx) };
      };
      rows.push({ field, kind, all: cell(groups.all), fracture: cell(groups.fracture), normal: cell(groups.normal) });
    } else {
      const values = [...new Set(truth.images.map((_, i) => valueOf(i)).filter((v) => v !== undefined && v !== null && v !== '').map(String))].sort();
      for (const value of values.slice(0, MAX_CATEGORIES)) {
        const cell = (idx: number[]): CohortCell => {
          const known = idx.length - missing(idx);
          const count = idx.filter((i) => String(valueOf(i)) === value && valueOf(i) !== undefined && valueOf(i) !== null).length;
          return { n: idx.length, count, percent: known > 0 ? (100 * count) / known : null, missing: missing(idx) };
        };
        rows.push({ field, kind, value, all: cell(groups.all), fracture: cell(groups.fracture), normal: cell(groups.normal) });
      }
    }
  }
  return {
    n: truth.images.length,
    fracture: groups.fracture.length,
    normal: groups.normal.length,
    referenceBoxes: truth.boxesByImage.reduce((a, b) => a + b.length, 0),
    rows,
  };
}
