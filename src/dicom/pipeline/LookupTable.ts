/**
 * A DICOM look-up table as described by a LUT Descriptor (PS3.3 C.11.1.1.1 / C.11.2.1.1): the first stored
 * value mapped, the table entries, and the bits per entry. Input values below the first mapped one give the
 * first entry; values past the end give the last entry.
 */
export interface LookupTable {
  readonly firstMapped: number;
  readonly entries: ArrayLike<number>;
  /** Third descriptor value: bits per entry (8–16). */
  readonly bitsPerEntry: number;
}

export function lookUp(table: LookupTable, value: number): number {
  const last = table.entries.length - 1;
  const index = Math.round(value) - table.firstMapped;
  const clamped = index < 0 ? 0 : index > last ? last : index;
  return table.entries[clamped] ?? 0;
}
