import { createHash } from 'node:crypto';

/**
 * The per-reader, per-session random case order. The seed is derived (sha256) from the study seed, the reader's
 * user id and the session number, so an order can be re-derived and audited; the order itself is also stored.
 * Generator: mulberry32 (Tommy Ettinger, public domain); shuffle: Fisher–Yates (Durstenfeld 1964).
 */
export function sessionSeed(studySeed: string, readerId: number, sessionNumber: number): number {
  const digest = createHash('sha256').update(`${studySeed}/${readerId}/${sessionNumber}`).digest();
  return digest.readUInt32BE(0);
}

export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  const random = mulberry32(seed);
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    const a = out[i] as T;
    out[i] = out[j] as T;
    out[j] = a;
  }
  return out;
}
