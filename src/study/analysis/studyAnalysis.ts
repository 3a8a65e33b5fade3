import type { AuthStore } from '../../auth/index.js';
import { ciProportion, matchImage, mcnemarExact, quantileType7, type CocoBox, type McNemarResult, type ProportionEstimate } from '../../eval/index.js';
import type { ImrmcData, ImrmcRead } from '../imrmc/imrmcFormat.js';
import { orMrmc } from '../mrmc/orMrmc.js';
import type { Read, StudyBox, StudyCase } from '../domain/types.js';
import type { StudyStore } from '../store/StudyStore.js';
import { buildMrmcReport, type MrmcReport } from './mrmcReport.js';
import { wilcoxonSignedRank, type WilcoxonSignedRankResult } from './wilcoxonSignedRank.js';

/** Reference boxes and reader or model boxes match at IoU ≥ 0.5 (the project's box contract). */
export const boxIouThreshold = 0.5;

export interface DecisionMetrics {
  /** Reads (reader × case) pooled: micro-averaged, as in the study. */
  readonly reads: number;
  readonly sensitivity: ProportionEstimate;
  readonly specificity: ProportionEstimate;
  readonly accuracy: ProportionEstimate;
  readonly perBox: { readonly recall: ProportionEstimate; readonly precision: ProportionEstimate };
}

export interface TimeSummary {
  readonly n: number;
  readonly medianS: number;
  readonly p25S: number;
  readonly p75S: number;
}

export interface ArmComparison {
  readonly unaided: DecisionMetrics;
  readonly aided: DecisionMetrics;
  readonly time: { readonly unaided: TimeSummary; readonly aided: TimeSummary };
  /** Reads paired by (reader, case) across the two sessions. */
  readonly paired: {
    readonly pairs: number;
    /** Exact McNemar; `discordant.firstOnly` = correct unaided only, `secondOnly` = correct aided only. */
    readonly sensitivity: McNemarResult;
    readonly specificity: McNemarResult;
    readonly accuracy: McNemarResult;
    /** Wilcoxon signed-rank of unaided − aided reading time. */
    readonly time: WilcoxonSignedRankResult;
  };
}

export interface ModelMetrics extends DecisionMetrics {
  readonly threshold: number;
}

export interface StudyAnalysis {
  readonly study: { readonly id: number; readonly name: string; readonly cases: number; readonly fractureCases: number; readonly readers: number; readonly model: { name: string; version: string } | null };
  readonly definitions: Readonly<Record<string, string>>;
  readonly all: ArmComparison;
  readonly readers: ReadonlyArray<{ readonly id: number; readonly username: string; readonly group: string | null } & ArmComparison>;
  readonly groups: Readonly<Record<string, ArmComparison>>;
  readonly model: { readonly highSensitivity: ModelMetrics; readonly highSpecificity: ModelMetrics } | null;
  readonly subgroups: Readonly<Record<string, Readonly<Record<string, { readonly cases: number; readonly fractureCases: number; readonly readers: ArmComparison; readonly model: StudyAnalysis['model'] }>>>>;
  readonly mrmc: MrmcReport | { readonly error: string };
}

const toCoco = (box: StudyBox): CocoBox => [box.x, box.y, box.width, box.height];
const isPositive = (read: Read): boolean => !read.noFracture;

interface Scored { truth: 0 | 1; positive: boolean; boxes: Array<{ bbox: CocoBox; score: number }>; reference: CocoBox[] }

function decisionMetrics(items: readonly Scored[]): DecisionMetrics {
  let tp = 0; let diseased = 0; let tn = 0; let normal = 0;
  let matchedReference = 0; let referenceBoxes = 0; let truePositiveBoxes = 0; let predictedBoxes = 0;
  for (const item of items) {
    if (item.truth === 1) { diseased += 1; if (item.positive) tp += 1; } else { normal += 1; if (!item.positive) tn += 1; }
    const match = matchImage(item.boxes, item.reference, boxIouThreshold);
    const hits = match.matchedReference.filter((r) => r >= 0).length;
    matchedReference += hits;
    truePositiveBoxes += hits;
    referenceBoxes += item.reference.length;
    predictedBoxes += item.boxes.length;
  }
  return {
    reads: items.length,
    sensitivity: ciProportion(tp, diseased),
    specificity: ciProportion(tn, normal),
    accuracy: ciProportion(tp + tn, items.length),
    perBox: { recall: ciProportion(matchedReference, referenceBoxes), precision: ciProportion(truePositiveBoxes, predictedBoxes) },
  };
}

function timeSummary(reads: readonly Read[]): TimeSummary {
  const seconds = reads.map((r) => r.readingMs / 1000).sort((a, b) => a - b);
  if (seconds.length === 0) return { n: 0, medianS: Number.NaN, p25S: Number.NaN, p75S: Number.NaN };
  return { n: seconds.length, medianS: quantileType7(seconds, 0.5), p25S: quantileType7(seconds, 0.25), p75S: quantileType7(seconds, 0.75) };
}

function compareArms(reads: readonly Read[], caseById: ReadonlyMap<number, StudyCase>): ArmComparison {
  const scored = (read: Read): Scored => {
    const c = caseById.get(read.caseId) as StudyCase;
    return { truth: c.truth, positive: isPositive(read), boxes: read.boxes.map((b) => ({ bbox: toCoco(b), score: 1 })), reference: c.referenceBoxes.map(toCoco) };
  };
  const unaided = reads.filter((r) => r.session === 1);
  const aided = reads.filter((r) => r.session === 2);
  const aidedByKey = new Map(aided.map((r) => [`${r.userId}/${r.caseId}`, r]));
  const pairs = unaided.flatMap((u) => { const a = aidedByKey.get(`${u.userId}/${u.caseId}`); return a ? [{ u, a, truth: (caseById.get(u.caseId) as StudyCase).truth }] : []; });
  const correct = (read: Read, truth: 0 | 1): boolean => isPositive(read) === (truth === 1);
  const mcnemar = (subset: typeof pairs): McNemarResult => {
    let firstOnly = 0; let secondOnly = 0;
    for (const { u, a, truth } of subset) {
      const cu = correct(u, truth); const ca = correct(a, truth);
      if (cu && !ca) firstOnly += 1; else if (!cu && ca) secondOnly += 1;
    }
    return mcnemarExact(firstOnly, secondOnly);
  };
  return {
    unaided: decisionMetrics(unaided.map(scored)),
    aided: decisionMetrics(aided.map(scored)),
    time: { unaided: timeSummary(unaided), aided: timeSummary(aided) },
    paired: {
      pairs: pairs.length,
      sensitivity: mcnemar(pairs.filter((p) => p.truth === 1)),
      specificity: mcnemar(pairs.filter((p) => p.truth === 0)),
      accuracy: mcnemar(pairs),
      time: wilcoxonSignedRank(pairs.map((p) => p.u.readingMs / 1000), pairs.map((p) => p.a.readingMs / 1000)),
    },
  };
}

function modelMetrics(cases: readonly StudyCase[], threshold: number): ModelMetrics {
  const items = cases.map((c): Scored => ({
    truth: c.truth,
    positive: (c.model?.score ?? 0) >= threshold,
    boxes: (c.model?.boxes ?? []).filter((b) => b.score >= threshold).sort((a, b) => b.score - a.score).map((b) => ({ bbox: toCoco(b), score: b.score })),
    reference: c.referenceBoxes.map(toCoco),
  }));
  return { threshold, ...decisionMetrics(items) };
}

function modelBoth(study: { model: { thresholds: { highSensitivity: number; highSpecificity: number } } | null }, cases: readonly StudyCase[]): StudyAnalysis['model'] {
  if (!study.model || cases.some((c) => c.model === null)) return null;
  return { highSensitivity: modelMetrics(cases, study.model.thresholds.highSensitivity), highSpecificity: modelMetrics(cases, study.model.thresholds.highSpecificity) };
}

/** The study's reads in iMRMC form (modalities `unaided`, `aided`; score = confidence 0–100, "no fracture" = 0). */
export async function studyImrmc(store: StudyStore, auth: AuthStore, studyId: number, options: { completeReadersOnly?: boolean } = {}): Promise<ImrmcData> {
  const study = await store.getStudy(studyId);
  const cases = await store.cases(studyId);
  let reads = await store.reads(studyId);
  const names = new Map<number, string>();
  for (const id of new Set(reads.map((r) => r.userId))) names.set(id, (await auth.getUser(id))?.username ?? `reader${id}`);
  const nameOf = (id: number): string => names.get(id) ?? `reader${id}`;
  if (options.completeReadersOnly) {
    const complete = new Set<number>();
    for (const id of await store.readerIds(studyId)) {
      if ((await store.getSession(studyId, id, 1))?.completedAt && (await store.getSession(studyId, id, 2))?.completedAt) complete.add(id);
    }
    reads = reads.filter((r) => complete.has(r.userId));
  }
  const rows: ImrmcRead[] = reads.map((r) => ({ reader: nameOf(r.userId), caseId: String(r.caseId), modality: r.session === 1 ? 'unaided' : 'aided', score: r.confidence }));
  return { description: `DR-FDS reader study "${study.name}" (id ${study.id}); score = reader confidence 0-100 that there is a fracture`, truth: new Map(cases.map((c) => [String(c.id), c.truth])), reads: rows };
}

/** Everything `drfds study analyze STUDY` reports. Reads are the submitted ones; incomplete readers still count in the pooled tables. */
export async function analyzeStudy(store: StudyStore, auth: AuthStore, studyId: number): Promise<StudyAnalysis> {
  const study = await store.getStudy(studyId);
  const cases = await store.cases(studyId);
  const caseById = new Map(cases.map((c) => [c.id, c]));
  const reads = await store.reads(studyId);
  const readerIds = await store.readerIds(studyId);
  const users = new Map<number, Awaited<ReturnType<AuthStore['getUser']>>>();
  for (const id of readerIds) users.set(id, await auth.getUser(id));
  const imrmc = await studyImrmc(store, auth, studyId, { completeReadersOnly: true });
  const readers = readerIds.map((id) => ({ id, username: users.get(id)?.username ?? `reader${id}`, group: users.get(id)?.group ?? null, ...compareArms(reads.filter((r) => r.userId === id), caseById) }));
  const groups: Record<string, ArmComparison> = {};
  for (const group of [...new Set(readerIds.map((id) => users.get(id)?.group ?? 'ungrouped'))].sort()) {
    const members = new Set(readerIds.filter((id) => (users.get(id)?.group ?? 'ungrouped') === group));
    groups[group] = compareArms(reads.filter((r) => members.has(r.userId)), caseById);
  }
  const subgroups: Record<string, Record<string, { cases: number; fractureCases: number; readers: ArmComparison; model: StudyAnalysis['model'] }>> = {};
  for (const field of study.subgroupFields) {
    const values = [...new Set(cases.map((c) => String(c.fields[field] ?? 'missing')))].sort();
    subgroups[field] = {};
    for (const value of values) {
      const subset = cases.filter((c) => String(c.fields[field] ?? 'missing') === value);
      const ids = new Set(subset.map((c) => c.id));
      (subgroups[field] as Record<string, unknown>)[value] = {
        cases: subset.length,
        fractureCases: subset.filter((c) => c.truth === 1).length,
        readers: compareArms(reads.filter((r) => ids.has(r.caseId)), caseById),
        model: modelBoth(study, subset),
      };
    }
  }
  let mrmc: StudyAnalysis['mrmc'];
  try {
    mrmc = buildMrmcReport(orMrmc(imrmc));
  } catch (error) {
    mrmc = { error: `MRMC analysis not possible yet: ${(error as Error).message}` };
  }
  return {
    study: { id: study.id, name: study.name, cases: cases.length, fractureCases: cases.filter((c) => c.truth === 1).length, readers: readerIds.length, model: study.model ? { name: study.model.name, version: study.model.version } : null },
    definitions: {
      decision: 'a read is positive unless the reader marked "no fracture"; its score for ROC/MRMC is the confidence 0-100 ("no fracture" = 0)',
      pooling: 'sensitivity, specificity and accuracy pool all reads (reader × case) of the readers in question: micro-averaged; 95% CIs are Clopper–Pearson on the pooled counts (they ignore the correlation of reads of one reader or one case; the MRMC analysis accounts for both)',
      perBox: `a reader's (or the model's) box is a true positive when its IoU with a not-yet-matched reference box is ≥ ${boxIouThreshold} (greedy; model boxes highest score first, reader boxes in drawing order)`,
      time: 'reading time = visible, active time from the image being shown to submission (see docs/reader-study.md); median (P25–P75) in seconds, quantile type 7',
      tests: 'exact McNemar on (reader, case) pairs read in both sessions; Wilcoxon signed-rank (R wilcox.test paired) on their reading times',
      mrmc: 'Obuchowski–Rockette with jackknife covariances and Hillis ddf, random readers and cases, empirical AUC of the confidence scores; readers who completed both sessions',
    },
    all: compareArms(reads, caseById),
    readers,
    groups,
    model: modelBoth(study, cases),
    subgroups,
    mrmc,
  };
}
