import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

/** The repository root, found from this file whether it runs from src/ (tsx) or dist/ (compiled). */
export function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i += 1) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'drfds') return dir;
    } catch {
      // not here: look one folder up
    }
    dir = dirname(dir);
  }
  throw new Error('cannot find the drfds package root');
}

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(repositoryRoot(), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}
