import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReusableBuffer, uninitializedBytes } from './ReusableBuffer.js';

describe('ReusableBuffer', () => {
  test('the same block again after it is given back; it grows when asked for more', () => {
    const pool = new ReusableBuffer();
    const a = pool.lend(100);
    pool.giveBack(a);
    const b = pool.lend(50);
    assert.equal(b, a);
    pool.giveBack(b);
    const c = pool.lend(1000);
    assert.notEqual(c, a);
    assert.ok(c.byteLength >= 1000);
    pool.giveBack(c);
    assert.equal(pool.lend(10), c);
  });
  test('while lent, others get fresh memory, and giving that back changes nothing', () => {
    const pool = new ReusableBuffer();
    const a = pool.lend(64);
    const fresh = pool.lend(64);
    assert.notEqual(fresh, a);
    pool.giveBack(fresh);
    assert.notEqual(pool.lend(64), a); // still lent
    pool.giveBack(a);
    assert.equal(pool.lend(64), a);
  });
  test('blocks above the retention limit are never kept', () => {
    const pool = new ReusableBuffer(1000);
    const big = pool.lend(2000);
    pool.giveBack(big);
    assert.notEqual(pool.lend(2000), big);
  });
  test('with() returns the block even when use throws, and the view has the asked length', () => {
    const pool = new ReusableBuffer();
    assert.throws(() => pool.with(10, () => { throw new Error('boom'); }), /boom/);
    const seen = pool.with(16, (bytes) => bytes.length);
    assert.equal(seen, 16);
    const a = pool.lend(8);
    pool.giveBack(a);
    assert.equal(pool.with(8, (bytes) => bytes.buffer), a);
  });
});

describe('uninitializedBytes', () => {
  test('a plain Uint8Array of its own: slice copies, the buffer is not shared with other allocations', () => {
    for (const length of [10, 200_000]) {
      const a = uninitializedBytes(length);
      const b = uninitializedBytes(length);
      assert.equal(a.constructor, Uint8Array);
      assert.equal(a.length, length);
      assert.notEqual(a.buffer, b.buffer);
      a.fill(7);
      const copy = a.slice(0, 4);
      copy[0] = 1;
      assert.equal(a[0], 7);
      assert.equal(b.byteOffset, 0);
      assert.equal(b.buffer.byteLength, length);
    }
  });
});
