import { DrfdsError } from '../errors/DrfdsError.js';

export interface CsvRow {
  /** 1-based line number in the file where the row starts (the header is line 1). */
  readonly line: number;
  readonly fields: readonly string[];
}

/**
 * RFC 4180 CSV: comma-separated, fields optionally in double quotes ("" is a quote inside), CRLF or LF line ends,
 * a UTF-8 byte-order mark tolerated. Blank lines are skipped. Returns the header and the data rows with their lines.
 */
export function parseCsv(text: string, source: string): { header: string[]; rows: CsvRow[] } {
  const input = text.startsWith('\ufeff') ? text.slice(1) : text;
  const records: CsvRow[] = [];
  let fields: string[] = [];
  let field = '';
  let inQuotes = false;
  let line = 1;
  let recordLine = 1;
  let fieldStarted = false;
  const endRecord = (): void => {
    if (fieldStarted || fields.length > 0 || field !== '') fields.push(field);
    if (!(fields.length === 1 && fields[0] === '') && fields.length > 0) records.push({ line: recordLine, fields });
    fields = [];
    field = '';
    fieldStarted = false;
  };
  for (let i = 0; i < input.length; i += 1) {
    const char = input[i];
    if (inQuotes) {
      if (char === '"') {
        if (input[i + 1] === '"') {
          field += '"';
          i += 1;
        } else {
          inQuotes = false;
        }
      } else {
        if (char === '\n') line += 1;
        field += char;
      }
      continue;
    }
    if (char === '"' && field === '') {
      inQuotes = true;
      fieldStarted = true;
    } else if (char === ',') {
      fields.push(field);
      field = '';
      fieldStarted = true;
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && input[i + 1] === '\n') i += 1;
      endRecord();
      line += 1;
      recordLine = line;
    } else {
      field += char;
      fieldStarted = true;
    }
  }
  if (inQuotes) {
    throw new DrfdsError('dataset/bad-csv', `${source}, line ${recordLine}: a quoted field is not closed before the end of the file.`);
  }
  endRecord();
  const [headerRow, ...rows] = records;
  if (headerRow === undefined) {
    throw new DrfdsError('dataset/bad-csv', `${source}: the CSV file is empty; it needs a header line such as "file,x,y,width,height,subgroup".`);
  }
  return { header: headerRow.fields.map((name) => name.trim()), rows };
}
