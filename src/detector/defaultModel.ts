import { join } from 'node:path';
import { repositoryRoot } from '../cli/packageVersion.js';

/** The shipped default model package: models/drfds-hip in the installed drfds package. */
export function defaultModelDir(): string {
  return join(repositoryRoot(), 'models', 'drfds-hip');
}
