/**
 * Structured JSON logs, one object per line, without patient identifiers: callers log job ids, sizes, AE titles,
 * codes and timings — never DICOM attribute values. As a second line of defence any field whose name looks like a
 * patient attribute (name, id, birth date, accession…) is replaced by "[redacted]" before the line is written.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(event: string, fields?: Record<string, unknown>): void;
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Field names that could carry PHI (DICOM keywords of the Patient and Study modules, and the obvious words). */
const PHI_FIELD = /patient|birth|accession|physician|^name$|mrn|otherpatient|institution|studyid|studydescription/i;

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) out[key] = PHI_FIELD.test(key) ? '[redacted]' : redact(v, depth + 1);
  return out;
}

export interface LoggerOptions {
  readonly level?: LogLevel;
  readonly write?: (line: string) => void;
  readonly base?: Record<string, unknown>;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const min = ORDER[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const base = options.base ?? {};
  const emit = (level: LogLevel, event: string, fields: Record<string, unknown> = {}): void => {
    if (ORDER[level] < min) return;
    const record = redact({ time: new Date().toISOString(), level, event, ...base, ...fields }) as Record<string, unknown>;
    if (fields.error instanceof Error) record.error = fields.error.message;
    write(JSON.stringify(record));
  };
  return {
    debug: (e, f) => emit('debug', e, f),
    info: (e, f) => emit('info', e, f),
    warn: (e, f) => emit('warn', e, f),
    error: (e, f) => emit('error', e, f),
    child: (fields) => createLogger({ ...options, base: { ...base, ...fields } }),
  };
}

/** A logger that keeps its lines in memory (tests, and the PHI check of the service tests). */
export function memoryLogger(level: LogLevel = 'debug'): Logger & { readonly lines: string[] } {
  const lines: string[] = [];
  return Object.assign(createLogger({ level, write: (line) => lines.push(line) }), { lines });
}
