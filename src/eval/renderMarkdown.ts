import type { Block } from './reportDocument.js';

const FIGURE_FILES = { roc: 'roc.svg', froc: 'froc.svg', calibration: 'calibration.svg' } as const;

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** Markdown of the report; figures refer to the SVG files written beside report.md. */
export function renderMarkdown(blocks: Block[]): string {
  const out: string[] = [];
  for (const block of blocks) {
    if (block.kind === 'heading') out.push(`${'#'.repeat(block.level)} ${block.text}`, '');
    else if (block.kind === 'paragraph') out.push(block.text, '');
    else if (block.kind === 'figure') out.push(`![${block.caption}](${FIGURE_FILES[block.chart]})`, '');
    else {
      out.push(`| ${block.header.map(cell).join(' | ')} |`, `|${block.header.map(() => ' --- ').join('|')}|`);
      for (const row of block.rows) out.push(`| ${row.map(cell).join(' | ')} |`);
      out.push('');
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

export { FIGURE_FILES };
