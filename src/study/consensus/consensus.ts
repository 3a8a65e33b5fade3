import type { AuthStore } from '../../auth/index.js';
import { DrfdsError } from '../../errors/DrfdsError.js';
import { matchImage, type CocoBox } from '../../eval/index.js';
import type { Read, StudyBox, StudyCase } from '../domain/types.js';
import type { StudyStore } from '../store/StudyStore.js';

/**
 * Reference standards from the study's own viewer: two or more readers annotate the cases (session 1, unaided),
 * cases where they agree get an automatic consensus, disagreements are resolved by an admin in the consensus view,
 * and the result exports as a COCO data set (the study's "two radiologists in consensus").
 */
export const consensusIouThreshold = 0.5;

export type Agreement =
  | { readonly status: 'unread'; readonly boxes: null }
  /** Every reader said "no fracture", or every reader drew the same number of boxes, pairwise matched at IoU ≥ 0.5. */
  | { readonly status: 'agreed'; readonly boxes: readonly StudyBox[] }
  | { readonly status: 'disputed'; readonly boxes: null };

const toCoco = (b: StudyBox): CocoBox => [b.x, b.y, b.width, b.height];
const round2 = (v: number): number => Math.round(v * 100) / 100;

/** Agreement of the session-1 reads of one case (at least two readers); the agreed boxes are coordinate means. */
export function caseAgreement(reads: readonly Read[]): Agreement {
  if (reads.length < 2) return { status: 'unread', boxes: null };
  if (reads.every((r) => r.noFracture || r.boxes.length === 0)) {
    return reads.every((r) => r.noFracture) ? { status: 'agreed', boxes: [] } : { status: 'disputed', boxes: null };
  }
  const first = reads[0] as Read;
  const k = first.boxes.length;
  if (k === 0 || reads.some((r) => r.noFracture || r.boxes.length !== k)) return { status: 'disputed', boxes: null };
  const groups: StudyBox[][] = first.boxes.map((b) => [b]);
  for (const other of reads.slice(1)) {
    const match = matchImage(other.boxes.map((b) => ({ bbox: toCoco(b), score: 1 })), first.boxes.map(toCoco), consensusIouThreshold);
    if (match.matchedReference.some((r) => r < 0)) return { status: 'disputed', boxes: null };
    match.matchedReference.forEach((r, i) => (groups[r] as StudyBox[]).push(other.boxes[i] as StudyBox));
  }
  const mean = (group: StudyBox[], pick: (b: StudyBox) => number): number => round2(group.reduce((s, b) => s + pick(b), 0) / group.length);
  return { status: 'agreed', boxes: groups.map((g) => ({ x: mean(g, (b) => b.x), y: mean(g, (b) => b.y), width: mean(g, (b) => b.width), height: mean(g, (b) => b.height) })) };
}

export interface ConsensusCase {
  readonly caseId: number;
  readonly key: string;
  readonly width: number;
  readonly height: number;
  readonly readers: ReadonlyArray<{ readonly username: string; readonly noFracture: boolean; readonly confidence: number; readonly boxes: readonly StudyBox[] }>;
  readonly agreement: Agreement;
  /** The admin's decision, which overrides the automatic agreement. */
  readonly decided: { readonly boxes: readonly StudyBox[]; readonly decidedBy: number; readonly decidedAt: string } | null;
  /** What the export will hold for this case, or null while it is unresolved. */
  readonly final: readonly StudyBox[] | null;
}

export async function consensusOverview(store: StudyStore, auth: AuthStore, studyId: number): Promise<ConsensusCase[]> {
  const reads = await store.reads(studyId, { session: 1 });
  const decisions = await store.consensusDecisions(studyId);
  const names = new Map<number, string>();
  for (const id of new Set(reads.map((r) => r.userId))) names.set(id, (await auth.getUser(id))?.username ?? `reader${id}`);
  return (await store.cases(studyId)).map((c: StudyCase) => {
    const mine = reads.filter((r) => r.caseId === c.id).sort((a, b) => a.userId - b.userId);
    const agreement = caseAgreement(mine);
    const decided = decisions.get(c.id) ?? null;
    return {
      caseId: c.id,
      key: c.key,
      width: c.width,
      height: c.height,
      readers: mine.map((r) => ({ username: names.get(r.userId) ?? `reader${r.userId}`, noFracture: r.noFracture, confidence: r.confidence, boxes: r.boxes })),
      agreement,
      decided,
      final: decided ? decided.boxes : agreement.status === 'agreed' ? agreement.boxes : null,
    };
  });
}

/** The consensus as a COCO data set (category `fracture`); refuses while any case is unresolved, naming them. */
export async function consensusCoco(store: StudyStore, auth: AuthStore, studyId: number): Promise<{ info: Record<string, unknown>; images: unknown[]; annotations: unknown[]; categories: unknown[] }> {
  const study = await store.getStudy(studyId);
  const overview = await consensusOverview(store, auth, studyId);
  const open = overview.filter((c) => c.final === null);
  if (open.length > 0) {
    throw new DrfdsError('study/consensus-open', `${open.length} case(s) have no consensus yet (unread by two readers, or disputed and not decided): ${open.slice(0, 10).map((c) => c.key).join(', ')}${open.length > 10 ? ', …' : ''}`, { httpStatus: 409 });
  }
  const cases = new Map((await store.cases(studyId)).map((c) => [c.id, c]));
  let annotationId = 0;
  const images = overview.map((c, index) => ({ id: index + 1, file_name: c.key, width: c.width, height: c.height, ...Object.fromEntries(Object.entries(cases.get(c.caseId)?.fields ?? {}).filter(([k]) => k !== 'image_id')) }));
  const annotations = overview.flatMap((c, index) => (c.final ?? []).map((b) => {
    annotationId += 1;
    return { id: annotationId, image_id: index + 1, category_id: 1, bbox: [b.x, b.y, b.width, b.height], area: round2(b.width * b.height), iscrowd: 0 };
  }));
  return {
    info: { description: `DR-FDS consensus reference standard of study "${study.name}"`, readers: [...new Set(overview.flatMap((c) => c.readers.map((r) => r.username)))], date_created: new Date().toISOString() },
    images,
    annotations,
    categories: [{ id: 1, name: 'fracture' }],
  };
}
