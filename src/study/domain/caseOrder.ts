import { createHash } from 'node:crypto';
import { createRandom } from '../../eval/stats/random.js';

/**
 * The per-reader, per-session random case order. The seed is derived (sha256) from the study seed, the reader's
 * user id and the session number, so an order can be re-derived and audited; the order itself is also stored.
 * Generator: the project's seeded xoshiro128** (src/eval/stats/random.ts); shuffle: Fisher–Yates (Durstenfeld 1964).
 */
export function sessionSeed(studySeed: string, readerId: number, sessionNumber: number): number {
  const digest = createHash('sha256').update(`${studySeed}/${readerId}/${sessionNumber}`).digest();
  return digest.readUInt32BE(0);
}

export function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  const random = createRandom(seed);
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random.next() * (i + 1));
    const a = out[i] as T;
    out[i] = out[j] as T;
    out[j] = a;
  }
  return out;
}
