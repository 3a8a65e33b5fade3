import type { ReportCharts } from './charts.js';
import type { Block } from './reportDocument.js';

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const STYLE = `body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1200px;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:0.5rem 0 1.5rem;font-size:0.9rem}th,td{border:1px solid #ccc;padding:0.3rem 0.5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}tr:nth-child(even) td{background:#fafafa}figure{margin:1rem 0 2rem}figcaption{font-size:0.85rem;color:#555}
h1{font-size:1.6rem}h2{border-bottom:1px solid #ddd;padding-bottom:0.2rem;margin-top:2rem}`;

/** A self-contained HTML page: inline CSS and inline SVG figures, no scripts, nothing fetched. */
export function renderHtml(blocks: Block[], charts: ReportCharts): string {
  const body: string[] = [];
  for (const block of blocks) {
    if (block.kind === 'heading') body.push(`<h${block.level}>${escape(block.text)}</h${block.level}>`);
    else if (block.kind === 'paragraph') body.push(`<p>${escape(block.text)}</p>`);
    else if (block.kind === 'figure') body.push(`<figure>${charts[block.chart]}<figcaption>${escape(block.caption)}</figcaption></figure>`);
    else {
      body.push('<table>', `<thead><tr>${block.header.map((h) => `<th>${escape(h)}</th>`).join('')}</tr></thead>`, '<tbody>');
      for (const row of block.rows) body.push(`<tr>${row.map((c) => `<td>${escape(c)}</td>`).join('')}</tr>`);
      body.push('</tbody></table>');
    }
  }
  const heading = blocks.find((b): b is Extract<Block, { kind: 'heading' }> => b.kind === 'heading');
  const title = heading?.text ?? 'DR-FDS evaluation report';
  return `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>${escape(title)}</title>\n<style>${STYLE}</style>\n</head>\n<body>\n${body.join('\n')}\n</body>\n</html>\n`;
}
