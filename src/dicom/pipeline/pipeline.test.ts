/**
 * The pure steps of the PS3.3 C.11 pipeline, on hand-made values whose expected results follow from the
 * standard's formulas (the end-to-end renderings are checked against DCMTK in ../dcmtkAgreement.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyModalityLut, IDENTITY_MODALITY } from './modalityLut.js';
import { minMaxWindow } from './minMaxWindow.js';
import { applyPresentationLut } from './presentationLut.js';
import { renderSamples, type PipelineSpec, type RenderedPixels } from './renderPipeline.js';
import { storedValueRange, storedValues, type StoredValueLayout } from './storedValues.js';
import { applyVoiLut, windowLinear, windowLinearExact, windowSigmoid } from './voiLut.js';

function words(...values: number[]): Uint8Array {
  return new Uint8Array(Uint16Array.from(values).buffer);
}

/** renderSamples on stored values: each written as a 16-bit sample of the layout's bitsStored (high bit bitsStored − 1). */
function renderStoredValues(stored: Int32Array, spec: PipelineSpec): RenderedPixels {
  const range = storedValueRange(spec.layout);
  for (const value of stored) assert.ok(value >= range.min && value <= range.max, `stored value ${value} is outside ${range.min}…${range.max}`);
  const layout: StoredValueLayout = { bitsAllocated: 16, bitsStored: spec.layout.bitsStored, highBit: spec.layout.bitsStored - 1, pixelRepresentation: spec.layout.pixelRepresentation };
  // two's complement in 16 bits: the low bitsStored bits are the stored bits
  return renderSamples(words(...Array.from(stored, (value) => value & 0xffff)), { ...spec, layout });
}

describe('stored values (C.7.6.3.1)', () => {
  test('12 bits stored, high bit 11, signed: two’s complement sign extension', () => {
    const layout = { bitsAllocated: 16, bitsStored: 12, highBit: 11, pixelRepresentation: 1 as const };
    assert.deepEqual([...storedValues(words(0x0000, 0x07ff, 0x0800, 0x0fff), layout)], [0, 2047, -2048, -1]);
  });
  test('bits above the high bit (old overlay planes) are masked off', () => {
    const layout = { bitsAllocated: 16, bitsStored: 10, highBit: 9, pixelRepresentation: 0 as const };
    assert.deepEqual([...storedValues(words(0xf3ff, 0x8001), layout)], [1023, 1]);
  });
  test('high bit above bits stored − 1 shifts the value down', () => {
    const layout = { bitsAllocated: 16, bitsStored: 12, highBit: 15, pixelRepresentation: 0 as const };
    assert.deepEqual([...storedValues(words(0xfff0, 0x0010), layout)], [4095, 1]);
  });
  test('8-bit samples, odd byte offset of a 16-bit buffer', () => {
    assert.deepEqual([...storedValues(Uint8Array.from([0, 255, 7]), { bitsAllocated: 8, bitsStored: 8, highBit: 7, pixelRepresentation: 0 })], [0, 255, 7]);
    const odd = new Uint8Array(5);
    odd.set([0x34, 0x12, 0xff, 0x0f], 1);
    const layout = { bitsAllocated: 16, bitsStored: 16, highBit: 15, pixelRepresentation: 0 as const };
    assert.deepEqual([...storedValues(odd.subarray(1), layout)], [0x1234, 0x0fff]);
  });
  test('range of stored values', () => {
    assert.deepEqual(storedValueRange({ bitsStored: 12, pixelRepresentation: 1 }), { min: -2048, max: 2047 });
    assert.deepEqual(storedValueRange({ bitsStored: 10, pixelRepresentation: 0 }), { min: 0, max: 1023 });
  });
});

describe('modality LUT (C.11.1)', () => {
  test('rescale: m × SV + b; the missing rescale is the identity', () => {
    assert.deepEqual([...applyModalityLut([0, 100, -5], { kind: 'rescale', slope: 2, intercept: -1024 })], [-1024, -824, -1034]);
    assert.deepEqual([...applyModalityLut([0, 100, -5], IDENTITY_MODALITY)], [0, 100, -5]);
  });
  test('LUT: values outside the table clamp to its first and last entries', () => {
    const table = { firstMapped: -2, entries: [10, 20, 30], bitsPerEntry: 16 };
    assert.deepEqual([...applyModalityLut([-5, -2, -1, 0, 9], { kind: 'lut', table })], [10, 10, 20, 30, 30]);
  });
});

describe('VOI LUT functions (C.11.2.1.2.1, C.11.2.1.3)', () => {
  test('LINEAR: borders at c − 0.5 ± (w − 1)/2, 0.5 at c − 0.5', () => {
    // c = 2048, w = 4096: x ≤ 0 → 0, x > 4095 → 1.
    assert.equal(windowLinear(0, 2048, 4096), 0);
    assert.equal(windowLinear(4096, 2048, 4096), 1);
    assert.equal(windowLinear(4095, 2048, 4096), 1);
    assert.equal(windowLinear(2047.5, 2048, 4096), 0.5);
    assert.ok(Math.abs(windowLinear(1, 2048, 4096) - 1 / 4095) < 1e-12);
  });
  test('LINEAR with width 1 is a threshold at c − 0.5', () => {
    assert.deepEqual([99, 99.5, 100, 101].map((x) => windowLinear(x, 100, 1)), [0, 0, 1, 1]);
  });
  test('LINEAR_EXACT: borders at c ± w/2', () => {
    assert.equal(windowLinearExact(0, 50, 100), 0);
    assert.equal(windowLinearExact(25, 50, 100), 0.25);
    assert.equal(windowLinearExact(100.001, 50, 100), 1);
  });
  test('SIGMOID: 1 / (1 + exp(−4 (x − c) / w))', () => {
    assert.equal(windowSigmoid(40, 40, 400), 0.5);
    assert.ok(Math.abs(windowSigmoid(140, 40, 400) - 1 / (1 + Math.exp(-1))) < 1e-15);
  });
  test('VOI LUT Sequence: entries scaled by 2^bits − 1', () => {
    const table = { firstMapped: 0, entries: [0, 32768, 65535], bitsPerEntry: 16 };
    assert.deepEqual([...applyVoiLut([0, 1, 2, 3], { kind: 'lut', table })], [0, 32768 / 65535, 1, 1]);
  });
  test('the min–max fallback maps the minimum to 0 and the maximum to 1', () => {
    const voi = minMaxWindow(-100, 900);
    assert.deepEqual([...applyVoiLut([-100, 900], voi)], [0, 1]);
  });
});

describe('presentation (C.11.6) and the composed pipeline', () => {
  test('MONOCHROME1 inverts before quantising', () => {
    assert.deepEqual([...applyPresentationLut([0, 1, 0.5, 0.999], false)], [0, 255, 127, 254]);
    assert.deepEqual([...applyPresentationLut([0, 1, 0.5, 0.999], true)], [255, 0, 127, 0]);
  });
  test('the LUT composition equals evaluating each step per pixel', () => {
    const layout = { bitsAllocated: 16, bitsStored: 12, highBit: 11, pixelRepresentation: 1 as const };
    const stored = Int32Array.from([-2048, -1000, 0, 5, 900, 2047]);
    const modality = { kind: 'rescale' as const, slope: 0.5, intercept: 20 };
    const voi = { kind: 'window' as const, center: 100, width: 800, function: 'LINEAR' as const };
    const { pixels } = renderStoredValues(stored, { layout, modality, voi: { kind: 'transform', transform: voi }, invert: true });
    const direct = applyPresentationLut(applyVoiLut(applyModalityLut(stored, modality), voi), true);
    assert.deepEqual([...pixels], [...direct]);
  });
  test('min–max uses only the values present in the image', () => {
    const layout = { bitsAllocated: 16, bitsStored: 16, highBit: 15, pixelRepresentation: 0 as const };
    const result = renderStoredValues(Int32Array.from([1000, 3000, 2000]), { layout, modality: IDENTITY_MODALITY, voi: { kind: 'minmax' }, invert: false });
    assert.deepEqual(result.modalityRange, { min: 1000, max: 3000 });
    assert.deepEqual([...result.pixels], [0, 255, 127]);
  });
  test('samples straight from the frame: signed, high bit above bits stored, unaligned bytes — as stored values', () => {
    const layout = { bitsAllocated: 16, bitsStored: 12, highBit: 13, pixelRepresentation: 1 as const };
    const stored = [-2048, -7, 0, 1, 2047];
    const bytes = new Uint8Array(1 + 2 * stored.length);
    stored.forEach((value, i) => {
      const word = ((value & 0xfff) << 2) | 0xc003; // bits outside 13…2 are overlay junk the pipeline must drop
      bytes[1 + 2 * i] = word & 0xff;
      bytes[2 + 2 * i] = word >>> 8;
    });
    const spec = { layout, modality: { kind: 'rescale' as const, slope: -1, intercept: 5 }, voi: { kind: 'minmax' as const }, invert: false };
    const fromSamples = renderSamples(bytes.subarray(1), spec);
    assert.deepEqual([...storedValues(bytes.subarray(1), layout)], stored);
    assert.deepEqual(fromSamples, renderStoredValues(Int32Array.from(stored), spec));
    // slope −1: the largest stored value is the smallest modality value
    assert.deepEqual(fromSamples.modalityRange, { min: -2042, max: 2053 });
    assert.deepEqual([...fromSamples.pixels], [255, 127, 127, 127, 0]);
  });
  test('a non-monotonic modality LUT: the range is over the values present, not between the extreme stored values', () => {
    const layout = { bitsAllocated: 8, bitsStored: 8, highBit: 7, pixelRepresentation: 0 as const };
    const table = { firstMapped: 0, entries: Array.from({ length: 256 }, (_, v) => (v === 100 ? 5000 : v)), bitsPerEntry: 16 };
    const present = renderSamples(Uint8Array.from([10, 100, 200]), { layout, modality: { kind: 'lut', table }, voi: { kind: 'minmax' }, invert: false });
    assert.deepEqual(present.modalityRange, { min: 10, max: 5000 });
    const absent = renderSamples(Uint8Array.from([10, 200]), { layout, modality: { kind: 'lut', table }, voi: { kind: 'transform', transform: { kind: 'window', center: 128, width: 256, function: 'LINEAR' } }, invert: false });
    assert.deepEqual(absent.modalityRange, { min: 10, max: 200 });
  });
});
