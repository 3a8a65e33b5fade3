import type { DataSet } from 'dicom-parser';

/**
 * Typed, total readers over a dicom-parser DataSet, by tag (xGGGGEEEE). They return undefined for an absent or
 * empty element rather than throwing, and never return empty strings (RadiographMetadata's convention).
 */
export function readString(dataSet: DataSet, tag: string, index?: number): string | undefined {
  const element = dataSet.elements[tag];
  if (element === undefined || element.length === 0) return undefined;
  const value = index === undefined ? dataSet.string(tag) : dataSet.string(tag, index);
  if (value === undefined) return undefined;
  const trimmed = value.replace(/\0+$/g, '').trim();
  return trimmed === '' ? undefined : trimmed;
}

/** A US value; for implicit VR (no VR known) the element is read as 16-bit unsigned too. */
export function readUint16(dataSet: DataSet, tag: string, index = 0): number | undefined {
  const element = dataSet.elements[tag];
  if (element === undefined || element.length < 2 * (index + 1)) return undefined;
  return dataSet.uint16(tag, index);
}

/** A number from a DS or IS (decimal / integer string) element. */
export function readNumberString(dataSet: DataSet, tag: string, index = 0): number | undefined {
  const text = readString(dataSet, tag, index);
  if (text === undefined) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** All values of a multi-valued DS/IS element (e.g. Window Center "40\450"); non-numbers are dropped. */
export function readNumberStrings(dataSet: DataSet, tag: string): number[] {
  const text = readString(dataSet, tag);
  if (text === undefined) return [];
  return text
    .split('\\')
    .map((part) => Number(part.trim()))
    .filter((value) => Number.isFinite(value));
}

/** The items of a sequence (SQ) element, or [] when absent. */
export function readSequenceItems(dataSet: DataSet, tag: string): DataSet[] {
  const items = dataSet.elements[tag]?.items ?? [];
  const out: DataSet[] = [];
  for (const item of items) if (item.dataSet !== undefined) out.push(item.dataSet);
  return out;
}
