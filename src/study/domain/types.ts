/** The reader-study domain: a study's cases are read by each reader twice, unaided (1) then aided (2). */
export type SessionNumber = 1 | 2;
export type StudyStatus = 'setup' | 'started' | 'closed';

/** A box in the pixels of the case image as stored, COCO-style `[x, y, width, height]` spelled out. */
export interface StudyBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** A model box shown in the aided session: solid when it passes the high-specificity point, dotted otherwise. */
export interface ModelBox extends StudyBox {
  readonly score: number;
  readonly operatingPoint: 'high-specificity' | 'high-sensitivity';
}

export interface ModelOutput {
  /** Image-level score = the highest box score (0 without boxes). */
  readonly score: number;
  readonly boxes: readonly ModelBox[];
}

export interface Study {
  readonly id: number;
  readonly name: string;
  readonly status: StudyStatus;
  readonly washoutDays: number;
  readonly seed: string;
  readonly source: { readonly annotations: string; readonly images: string };
  readonly subgroupFields: readonly string[];
  readonly model: { readonly name: string; readonly version: string; readonly sha256?: string; readonly trained?: boolean; readonly thresholds: { readonly highSensitivity: number; readonly highSpecificity: number } } | null;
  readonly createdAt: string;
  readonly startedAt: string | null;
}

export interface StudyCase {
  readonly id: number;
  readonly studyId: number;
  /** The data set's name for the image (COCO file_name). */
  readonly key: string;
  readonly imagePath: string;
  readonly width: number;
  readonly height: number;
  /** 1 = fracture (has at least one reference box), 0 = fracture-free. */
  readonly truth: 0 | 1;
  readonly referenceBoxes: readonly StudyBox[];
  /** Subgroup fields copied from the data set's image entry. */
  readonly fields: Readonly<Record<string, string | number | null>>;
  readonly model: ModelOutput | null;
}

export interface ReaderSession {
  readonly studyId: number;
  readonly userId: number;
  readonly number: SessionNumber;
  readonly seed: number;
  readonly caseOrder: readonly number[];
  readonly startedAt: string;
  readonly completedAt: string | null;
  readonly overrideReason: string | null;
}

export interface Read {
  readonly id: number;
  readonly studyId: number;
  readonly caseId: number;
  readonly userId: number;
  readonly session: SessionNumber;
  readonly boxes: readonly StudyBox[];
  /** Confidence 0–100 that there is a fracture; 0 when the reader marked "no fracture". */
  readonly confidence: number;
  readonly noFracture: boolean;
  /** Visible, active time from the image being shown to submission, in milliseconds. */
  readonly readingMs: number;
  readonly firstShownAt: string;
  readonly submittedAt: string;
  /** Aided session: model boxes the reader kept as they were (their indexes into the case's model boxes). */
  readonly acceptedModelBoxes: readonly number[];
}
