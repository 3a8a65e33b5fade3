/**
 * Grow-only memory for the large transient arrays of reading and preparing one radiograph (a joined JPEG stream, a
 * resize pass, the model input). Fresh memory is dear: the first touch of every page faults into the kernel — 6 ms
 * to read a 2 MB file into a new buffer vs 0.16 ms into a used one, 20 ms for a first pass over a new 7.5 MB array
 * (2-core dev VM, 2026-12-01) — while V8 frees big ArrayBuffers only at its next GC. Reusing one block avoids that.
 *
 * `lend` hands the block out and `giveBack` returns it; while it is out, `lend` answers with fresh memory, so a
 * caller that awaits between the two (the model input lives across session.run) never shares bytes with another.
 * Blocks larger than `maxRetainedBytes` are not kept.
 */
export class ReusableBuffer {
  #block: ArrayBuffer | undefined;
  #lent = false;

  constructor(private readonly maxRetainedBytes = 64 * 2 ** 20) {}

  /** `byteLength` bytes of undefined content, at offset 0 of an ArrayBuffer (so any typed view of it is aligned). */
  lend(byteLength: number): ArrayBuffer {
    if (this.#lent || byteLength > this.maxRetainedBytes) return new ArrayBuffer(byteLength);
    if (this.#block === undefined || this.#block.byteLength < byteLength) this.#block = new ArrayBuffer(byteLength);
    this.#lent = true;
    return this.#block;
  }

  /** Ends a lend; a buffer that was not lent from here (fresh memory) is ignored. */
  giveBack(buffer: ArrayBufferLike): void {
    if (buffer === this.#block) this.#lent = false;
  }

  /** lend → use → giveBack, for synchronous use: the view must not escape `use`. */
  with<T>(byteLength: number, use: (bytes: Uint8Array) => T): T {
    const buffer = this.lend(byteLength);
    try {
      return use(new Uint8Array(buffer, 0, byteLength));
    } finally {
      this.giveBack(buffer);
    }
  }
}

/**
 * `length` bytes of undefined content, for an array the caller overwrites entirely. Taken with malloc (Node's
 * Buffer.allocUnsafe) rather than calloc (new Uint8Array), so it can come from memory freed earlier, whose pages are
 * already mapped, instead of fresh zeroed pages (a 3.8 MB display image: ~13 ms of page faults on the 2-core VM).
 * A plain Uint8Array over its own ArrayBuffer (not a pooled Buffer: `slice` keeps copying).
 */
export function uninitializedBytes(length: number): Uint8Array {
  if (length < 64 * 1024) return new Uint8Array(length); // small ones: Node's Buffer pool would share an ArrayBuffer
  const buffer = Buffer.allocUnsafeSlow(length);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, length);
}
