import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { createGrayImage8 } from './GrayImage.js';
import { OVERLAY_COLOURS, overlayMetrics, overlaySvg, renderOverlayPng, type OverlayBox } from './renderOverlay.js';

async function decodePng(png: Buffer): Promise<{ width: number; height: number; channels: number; data: Buffer }> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: info.channels, data };
}

/** Fraction of pixels along a horizontal segment whose colour is within 40 of `colour`. */
function coverage(img: { width: number; channels: number; data: Buffer }, y: number, x0: number, x1: number, colour: readonly number[]): number {
  let hits = 0;
  for (let x = x0; x < x1; x += 1) {
    const i = (y * img.width + x) * img.channels;
    if (colour.every((c, k) => Math.abs(img.data[i + k]! - c) <= 40)) hits += 1;
  }
  return hits / (x1 - x0);
}

test('renderOverlayPng draws solid, dotted and reference boxes where they are, in their colours, leaving the image elsewhere', async () => {
  const image = createGrayImage8(400, 300, new Uint8Array(400 * 300).fill(100));
  const boxes: OverlayBox[] = [
    { x: 50, y: 60, width: 100, height: 80, label: '0.81', style: 'solid' },
    { x: 200, y: 150, width: 120, height: 90, label: '0.35', style: 'dotted' },
    { x: 30, y: 200, width: 100, height: 60, style: 'reference' },
  ];
  const png = await decodePng(await renderOverlayPng(image, boxes));
  assert.equal(png.width, 400);
  assert.equal(png.height, 300);
  assert.equal(png.channels, 3);
  const { stroke } = overlayMetrics(400, 300);
  const solidTop = coverage(png, 60, 60, 140, OVERLAY_COLOURS.solid);
  const dottedTop = coverage(png, 150, 210, 310, OVERLAY_COLOURS.dotted);
  const referenceBottom = coverage(png, 260, 40, 120, OVERLAY_COLOURS.reference);
  assert.ok(solidTop > 0.95, `solid edge covered ${solidTop}`);
  assert.ok(dottedTop > 0.3 && dottedTop < 0.7, `dotted edge covered ${dottedTop}`);
  assert.ok(referenceBottom > 0.6 && referenceBottom < 0.95, `reference (dashed) edge covered ${referenceBottom}`);
  // Inside a box and far from everything: the radiograph's own gray.
  for (const [x, y] of [[100, 100], [370, 30], [250, 200]] as const) {
    const i = (y * 400 + x) * 3;
    assert.deepEqual([png.data[i], png.data[i + 1], png.data[i + 2]], [100, 100, 100], `pixel ${x},${y}`);
  }
  assert.ok(stroke >= 2);
});

test('overlaySvg escapes label text and puts references under findings', () => {
  const svg = overlaySvg(100, 100, [
    { x: 1, y: 30, width: 10, height: 10, label: '<b>&', style: 'solid' },
    { x: 1, y: 30, width: 10, height: 10, style: 'reference' },
  ], { caption: 'a "caption"' });
  assert.ok(svg.includes('&lt;b&gt;&amp;'));
  assert.ok(svg.includes('a &quot;caption&quot;'));
  assert.ok(svg.indexOf('stroke-dasharray') < svg.indexOf(`rgb(${OVERLAY_COLOURS.solid.join(',')})`));
});
