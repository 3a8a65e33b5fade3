import { DrfdsError } from '../../errors/DrfdsError.js';

/**
 * iMRMC's input format (FDA/CDRH iMRMC, Gallas et al.): free-text description, `KEY:value` header lines
 * (N0, N1, NR, NM), `BEGIN DATA:`, then `readerID,caseID,modalityID,score` rows. Truth rows carry reader id `-1`
 * and modality `truth`, with score 1 (diseased) or 0 (normal).
 */
export interface ImrmcRead {
  readonly reader: string;
  readonly caseId: string;
  readonly modality: string;
  readonly score: number;
}

export interface ImrmcData {
  readonly description: string;
  /** Case id → 1 for diseased (fracture), 0 for normal. */
  readonly truth: ReadonlyMap<string, 0 | 1>;
  readonly reads: readonly ImrmcRead[];
}

export function parseImrmc(text: string, source = 'iMRMC file'): ImrmcData {
  const lines = text.split(/\r?\n/);
  const begin = lines.findIndex((line) => /^\s*BEGIN DATA:?\s*$/i.test(line));
  if (begin === -1) throw new DrfdsError('study/imrmc-format', `${source}: no "BEGIN DATA:" line, so it is not iMRMC input`);
  const header = new Map<string, string>();
  const description: string[] = [];
  for (const line of lines.slice(0, begin)) {
    const match = /^\s*([A-Za-z0-9]+)\s*:\s*(.*)$/.exec(line);
    if (match?.[1] && match[2] !== undefined) header.set(match[1].toUpperCase(), match[2].trim());
    else if (line.trim() !== '') description.push(line.trim());
  }
  const truth = new Map<string, 0 | 1>();
  const reads: ImrmcRead[] = [];
  lines.slice(begin + 1).forEach((line, index) => {
    if (line.trim() === '') return;
    const where = `${source} line ${begin + 2 + index}`;
    const fields = line.split(',').map((field) => field.trim());
    if (fields.length !== 4) throw new DrfdsError('study/imrmc-format', `${where}: expected readerID,caseID,modalityID,score, got "${line}"`);
    const [reader, caseId, modality, scoreText] = fields as [string, string, string, string];
    const score = Number(scoreText);
    if (scoreText === '' || !Number.isFinite(score)) throw new DrfdsError('study/imrmc-format', `${where}: score "${scoreText}" is not a number`);
    if (reader === '-1') {
      if (score !== 0 && score !== 1) throw new DrfdsError('study/imrmc-format', `${where}: truth must be 0 or 1, got ${scoreText}`);
      if (truth.has(caseId)) throw new DrfdsError('study/imrmc-format', `${where}: case ${caseId} has two truth rows`);
      truth.set(caseId, score);
      return;
    }
    reads.push({ reader, caseId, modality, score });
  });
  for (const read of reads) {
    if (!truth.has(read.caseId)) throw new DrfdsError('study/imrmc-format', `${source}: case ${read.caseId} is read by reader ${read.reader} but has no truth row`);
  }
  checkHeaderCount(header, 'N0', [...truth.values()].filter((t) => t === 0).length, source);
  checkHeaderCount(header, 'N1', [...truth.values()].filter((t) => t === 1).length, source);
  checkHeaderCount(header, 'NR', new Set(reads.map((r) => r.reader)).size, source);
  checkHeaderCount(header, 'NM', new Set(reads.map((r) => r.modality)).size, source);
  return { description: description.join('\n'), truth, reads };
}

function checkHeaderCount(header: Map<string, string>, key: string, actual: number, source: string): void {
  const declared = header.get(key);
  if (declared === undefined) return;
  if (Number(declared) !== actual) {
    throw new DrfdsError('study/imrmc-format', `${source}: header says ${key}:${declared} but the data hold ${actual}`);
  }
}

export function formatImrmc(data: ImrmcData): string {
  const negatives = [...data.truth.values()].filter((t) => t === 0).length;
  const lines = [
    data.description || 'DR-FDS reader study export',
    `N0:${negatives}`,
    `N1:${data.truth.size - negatives}`,
    `NR:${new Set(data.reads.map((r) => r.reader)).size}`,
    `NM:${new Set(data.reads.map((r) => r.modality)).size}`,
    'BEGIN DATA:',
  ];
  for (const [caseId, value] of data.truth) lines.push(`-1,${caseId},truth,${value}`);
  for (const read of data.reads) lines.push(`${read.reader},${read.caseId},${read.modality},${read.score}`);
  return `${lines.join('\n')}\n`;
}
