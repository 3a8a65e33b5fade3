/**
 * The one error type of DR-FDS. `code` is stable and machine-readable; the message is written for the
 * clinician or administrator who has to act on it. `httpStatus` is set where the error can reach an HTTP client.
 */
export class DrfdsError extends Error {
  readonly code: string;
  readonly httpStatus: number | undefined;

  constructor(code: string, message: string, options: { httpStatus?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DrfdsError';
    this.code = code;
    this.httpStatus = options.httpStatus;
  }
}

export function isDrfdsError(value: unknown): value is DrfdsError {
  return value instanceof DrfdsError;
}

/** Third-party libraries (dicom-parser among them) throw strings and plain objects: make them readable. */
export function describeThrown(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && 'exception' in value) return String((value as { exception: unknown }).exception);
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
