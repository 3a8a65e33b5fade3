/** First index in the ascending `sorted` whose value is ≥ `value`. */
export function lowerBound(sorted: Float64Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index in the ascending `sorted` whose value is > `value`. */
export function upperBound(sorted: Float64Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// Argsort of doubles by LSD radix sort on their order-preserving 64-bit keys, 16-bit digits (Knuth 1998, TAOCP 3 §5.2.5).
export function argsort(values: Float64Array): Uint32Array {
  const n = values.length;
  let order = new Uint32Array(n);
  for (let i = 0; i < n; i += 1) order[i] = i;
  if (!LITTLE_ENDIAN) return order.sort((a, b) => (values[a] as number) - (values[b] as number));
  const normalized = new Float64Array(n);
  for (let i = 0; i < n; i += 1) {
    const v = values[i] as number;
    normalized[i] = v === 0 ? 0 : v; // −0 and +0 tie
  }
  const words = new Uint32Array(normalized.buffer);
  const low = new Uint32Array(n);
  const high = new Uint32Array(n);
  for (let i = 0; i < n; i += 1) {
    let h = words[2 * i + 1] as number;
    let l = words[2 * i] as number;
    // IEEE 754 to unsigned order: negative numbers flip every bit, positive numbers flip the sign bit.
    if (h & 0x80000000) {
      h = ~h >>> 0;
      l = ~l >>> 0;
    } else {
      h = (h | 0x80000000) >>> 0;
    }
    high[i] = h;
    low[i] = l;
  }
  // Keys travel with their indices so that every pass reads sequentially; the low word is dropped after its passes.
  let lowSpare = new Uint32Array(n);
  let highSpare = new Uint32Array(n);
  let orderSpare = new Uint32Array(n);
  let lowKeys = low;
  let highKeys = high;
  const counts = new Uint32Array(65536);
  for (let pass = 0; pass < 4; pass += 1) {
    const key = pass < 2 ? lowKeys : highKeys;
    const shift = pass % 2 === 0 ? 0 : 16;
    counts.fill(0);
    for (let i = 0; i < n; i += 1) counts[((key[i] as number) >>> shift) & 0xffff]! += 1;
    if (n > 0 && counts[((key[0] as number) >>> shift) & 0xffff] === n) continue; // every key shares this digit
    let sum = 0;
    for (let d = 0; d < 65536; d += 1) {
      const c = counts[d] as number;
      counts[d] = sum;
      sum += c;
    }
    if (pass < 2) {
      for (let k = 0; k < n; k += 1) {
        const l = lowKeys[k] as number;
        const target = counts[(l >>> shift) & 0xffff]!++;
        lowSpare[target] = l;
        highSpare[target] = highKeys[k] as number;
        orderSpare[target] = order[k] as number;
      }
      [lowKeys, lowSpare] = [lowSpare, lowKeys];
    } else {
      for (let k = 0; k < n; k += 1) {
        const h = highKeys[k] as number;
        const target = counts[(h >>> shift) & 0xffff]!++;
        highSpare[target] = h;
        orderSpare[target] = order[k] as number;
      }
    }
    [highKeys, highSpare] = [highSpare, highKeys];
    [order, orderSpare] = [orderSpare, order];
  }
  return order;
}

// Midranks (ties share the mean of their ranks, 1-based), in O(n) after one radix argsort (Sun & Xu 2014, IEEE SPL 21:1389).
export function midranks(values: Float64Array): Float64Array {
  const n = values.length;
  const order = argsort(values);
  const ranks = new Float64Array(n);
  let k = 0;
  while (k < n) {
    const v = values[order[k] as number] as number;
    let j = k;
    while (j + 1 < n && values[order[j + 1] as number] === v) j += 1;
    const mid = (k + j + 2) / 2;
    for (let t = k; t <= j; t += 1) ranks[order[t] as number] = mid;
    k = j + 1;
  }
  return ranks;
}
