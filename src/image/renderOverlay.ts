import sharp from 'sharp';
import type { GrayImage8 } from './GrayImage.js';

/** A box to draw, in the image's own pixels. */
export interface OverlayBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** Text next to the box (e.g. the score). */
  readonly label?: string;
  /** solid = high-specificity finding, dotted = high-sensitivity finding, reference = a ground-truth box. */
  readonly style: 'solid' | 'dotted' | 'reference';
}

export interface OverlayOptions {
  /** One line of text at the top left (e.g. "fracture · p = 0.81"). */
  readonly caption?: string;
}

/** Colours per style (RGB), chosen to stay distinct on a gray radiograph and for red–green colour blindness. */
export const OVERLAY_COLOURS = {
  solid: [255, 64, 32],
  dotted: [255, 200, 0],
  reference: [0, 190, 255],
} as const satisfies Record<OverlayBox['style'], readonly [number, number, number]>;

const rgb = (c: readonly [number, number, number]): string => `rgb(${c[0]},${c[1]},${c[2]})`;

const escapeXml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Line width and font size that stay readable from a 373-px FracAtlas image to a 2140-px CR. */
export function overlayMetrics(width: number, height: number): { stroke: number; font: number } {
  const side = Math.min(width, height);
  return { stroke: Math.max(2, Math.round(side / 250)), font: Math.max(12, Math.round(side / 45)) };
}

/** The SVG layer (same size as the image) with the boxes, their labels and the caption. */
export function overlaySvg(width: number, height: number, boxes: readonly OverlayBox[], options: OverlayOptions = {}): string {
  const { stroke, font } = overlayMetrics(width, height);
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`];
  // References first, so findings are drawn on top of them.
  const ordered = [...boxes].sort((a, b) => Number(b.style === 'reference') - Number(a.style === 'reference'));
  for (const box of ordered) {
    const colour = rgb(OVERLAY_COLOURS[box.style]);
    const dash = box.style === 'dotted' ? ` stroke-dasharray="${stroke * 2} ${stroke * 2}"` : box.style === 'reference' ? ` stroke-dasharray="${stroke * 6} ${stroke * 2}"` : '';
    parts.push(
      `<rect x="${box.x.toFixed(2)}" y="${box.y.toFixed(2)}" width="${box.width.toFixed(2)}" height="${box.height.toFixed(2)}" fill="none" stroke="${colour}" stroke-width="${stroke}"${dash}/>`,
    );
    if (box.label !== undefined) {
      const above = box.y - stroke - 2 >= font;
      const ty = above ? box.y - stroke - 2 : Math.min(height - 2, box.y + box.height + font + stroke);
      parts.push(
        `<text x="${Math.max(0, box.x).toFixed(2)}" y="${ty.toFixed(2)}" font-family="DejaVu Sans, sans-serif" font-size="${font}" font-weight="bold" fill="${colour}" stroke="black" stroke-width="${Math.max(1, stroke / 3)}" paint-order="stroke">${escapeXml(box.label)}</text>`,
      );
    }
  }
  if (options.caption !== undefined) {
    parts.push(
      `<text x="${stroke * 2}" y="${font + stroke * 2}" font-family="DejaVu Sans, sans-serif" font-size="${font}" fill="white" stroke="black" stroke-width="${Math.max(1, stroke / 3)}" paint-order="stroke">${escapeXml(options.caption)}</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}

/**
 * Draws the boxes over the gray image and returns an RGB PNG: high-specificity findings solid, high-sensitivity
 * findings dotted, reference boxes dashed in another colour, each with its label.
 */
export async function renderOverlayPng(image: GrayImage8, boxes: readonly OverlayBox[], options: OverlayOptions = {}): Promise<Buffer> {
  const svg = overlaySvg(image.width, image.height, boxes, options);
  const composed = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 1 } })
    .toColourspace('srgb')
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .raw()
    .toBuffer({ resolveWithObject: true });
  // composite leaves an alpha channel; the overlay is opaque, so drop it (a second pipeline: sharp applies
  // removeAlpha before composite within one).
  return sharp(composed.data, { raw: { width: composed.info.width, height: composed.info.height, channels: composed.info.channels } })
    .removeAlpha()
    .png({ compressionLevel: 6 })
    .toBuffer();
}
