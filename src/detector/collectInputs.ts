import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { DrfdsError } from '../errors/DrfdsError.js';

/** Extensions taken from folders; DICOM files often have none. Named files are always tried, whatever their name. */
const FOLDER_EXTENSIONS = new Set(['.dcm', '.dicom', '.dic', '.jpg', '.jpeg', '.png', '']);

export interface CollectedInputs {
  readonly files: string[];
  /** Paths that could not be listed or do not exist: one error each. */
  readonly errors: DrfdsError[];
}

/** Expands files and folders (recursively, sorted, hidden entries skipped) into the list of files to read. */
export function collectInputs(paths: readonly string[]): CollectedInputs {
  const files: string[] = [];
  const errors: DrfdsError[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && FOLDER_EXTENSIONS.has(extname(entry.name).toLowerCase())) files.push(path);
    }
  };
  for (const path of paths) {
    try {
      if (statSync(path).isDirectory()) walk(resolve(path));
      else files.push(path);
    } catch (error) {
      errors.push(new DrfdsError('input/not-found', `${path}: no such file or folder`, { httpStatus: 404, cause: error }));
    }
  }
  return { files, errors };
}

/** Output base names for the files, unique within one output folder (`a`, `a-2`, …). */
export function outputNames(files: readonly string[]): string[] {
  const taken = new Set<string>();
  return files.map((file) => {
    const stem = basename(file, extname(file)) || 'image';
    let name = stem;
    for (let n = 2; taken.has(name); n += 1) name = `${stem}-${n}`;
    taken.add(name);
    return name;
  });
}
