import type { ProportionEstimate } from '../../eval/index.js';
import type { ArmComparison, DecisionMetrics, StudyAnalysis, TimeSummary } from './studyAnalysis.js';

const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
const pct = (p: ProportionEstimate): string => (Number.isFinite(p.estimate) ? `${(100 * p.estimate).toFixed(1)}% (${(100 * p.ci95[0]).toFixed(1)}–${(100 * p.ci95[1]).toFixed(1)}) <span class="n">${p.count}/${p.total}</span>` : '—');
const pValue = (p: number): string => (p < 0.001 ? '&lt;0.001' : p.toFixed(3));
const time = (t: TimeSummary): string => (t.n === 0 ? '—' : `${t.medianS.toFixed(1)} (${t.p25S.toFixed(1)}–${t.p75S.toFixed(1)})`);

function armRows(label: string, arm: ArmComparison): string {
  return `<tr><th rowspan="2">${escape(label)}</th><td>unaided</td><td>${pct(arm.unaided.sensitivity)}</td><td>${pct(arm.unaided.specificity)}</td><td>${pct(arm.unaided.accuracy)}</td><td>${time(arm.time.unaided)}</td>`
    + `<td rowspan="2">${pValue(arm.paired.sensitivity.pValue)}</td><td rowspan="2">${pValue(arm.paired.specificity.pValue)}</td><td rowspan="2">${pValue(arm.paired.accuracy.pValue)}</td><td rowspan="2">${pValue(arm.paired.time.pValue)}</td></tr>`
    + `<tr><td>aided</td><td>${pct(arm.aided.sensitivity)}</td><td>${pct(arm.aided.specificity)}</td><td>${pct(arm.aided.accuracy)}</td><td>${time(arm.time.aided)}</td></tr>`;
}

const armHeader = '<tr><th>readers</th><th>session</th><th>sensitivity (95% CI)</th><th>specificity (95% CI)</th><th>accuracy (95% CI)</th><th>time s, median (P25–P75)</th><th>McNemar p sens.</th><th>McNemar p spec.</th><th>McNemar p acc.</th><th>Wilcoxon p time</th></tr>';

function boxRows(label: string, metrics: DecisionMetrics): string {
  return `<tr><td>${escape(label)}</td><td>${pct(metrics.perBox.recall)}</td><td>${pct(metrics.perBox.precision)}</td></tr>`;
}

/** Sensitivity and specificity per reader, unaided (grey) and aided (blue), with 95% CI whiskers: an inline SVG. */
function readerChart(analysis: StudyAnalysis): string {
  const rows = [...analysis.readers.map((r) => ({ label: r.username, arm: r as ArmComparison })), { label: 'all readers', arm: analysis.all }];
  const width = 720; const rowHeight = 34; const left = 120; const gap = 50; const plot = (width - left - 30 - gap) / 2;
  const height = rows.length * rowHeight + 50;
  const x = (panel: number, value: number): number => left + panel * (plot + gap) + value * plot;
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`];
  ['sensitivity', 'specificity'].forEach((name, panel) => {
    parts.push(`<text x="${x(panel, 0.5)}" y="14" text-anchor="middle" font-weight="bold">${name}</text>`);
    for (const tick of [0, 0.25, 0.5, 0.75, 1]) parts.push(`<line x1="${x(panel, tick)}" x2="${x(panel, tick)}" y1="20" y2="${height - 24}" stroke="#ddd"/><text x="${x(panel, tick)}" y="${height - 10}" text-anchor="middle">${tick * 100}%</text>`);
  });
  rows.forEach((row, i) => {
    const y = 30 + i * rowHeight;
    parts.push(`<text x="${left - 8}" y="${y + 12}" text-anchor="end">${escape(row.label)}</text>`);
    (['sensitivity', 'specificity'] as const).forEach((name, panel) => {
      (['unaided', 'aided'] as const).forEach((session, k) => {
        const p = row.arm[session][name];
        if (!Number.isFinite(p.estimate)) return;
        const yy = y + 6 + k * 12;
        const colour = session === 'aided' ? '#1f6fb5' : '#888';
        parts.push(`<line x1="${x(panel, p.ci95[0])}" x2="${x(panel, p.ci95[1])}" y1="${yy}" y2="${yy}" stroke="${colour}" stroke-width="2"/><circle cx="${x(panel, p.estimate)}" cy="${yy}" r="4" fill="${colour}"><title>${session} ${name} ${(100 * p.estimate).toFixed(1)}%</title></circle>`);
      });
    });
  });
  parts.push('</svg>');
  return parts.join('');
}

export function studyReportHtml(analysis: StudyAnalysis): string {
  const { study } = analysis;
  const sections: string[] = [];
  sections.push(`<h1>Reader study “${escape(study.name)}”</h1><p>${study.cases} cases (${study.fractureCases} with fracture), ${study.readers} readers${study.model ? `, model ${escape(study.model.name)} ${escape(study.model.version)}` : ''}. Unaided (session 1) versus aided by the model (session 2).</p>`);
  sections.push(`<h2>Decisions and reading time</h2><p class="note">Micro-averaged over reads (reader × case); Clopper–Pearson 95% CIs; exact McNemar tests and Wilcoxon signed-rank on (reader, case) pairs.</p><table>${armHeader}${armRows('all readers', analysis.all)}${Object.entries(analysis.groups).map(([g, arm]) => armRows(`group: ${g}`, arm)).join('')}${analysis.readers.map((r) => armRows(`${r.username}${r.group ? ` (${r.group})` : ''}`, r)).join('')}</table>`);
  sections.push(`<h2>Sensitivity and specificity per reader</h2><p class="note">grey: unaided · blue: aided · whiskers: 95% CI</p>${readerChart(analysis)}`);
  sections.push(`<h2>Localisation: per-box recall and precision (IoU ≥ 0.5)</h2><table><tr><th>readers / model</th><th>recall</th><th>precision</th></tr>${boxRows('all readers, unaided', analysis.all.unaided)}${boxRows('all readers, aided', analysis.all.aided)}${analysis.readers.flatMap((r) => [boxRows(`${r.username}, unaided`, r.unaided), boxRows(`${r.username}, aided`, r.aided)]).join('')}${analysis.model ? boxRows(`model at ${analysis.model.highSensitivity.threshold} (high sensitivity)`, analysis.model.highSensitivity) + boxRows(`model at ${analysis.model.highSpecificity.threshold} (high specificity)`, analysis.model.highSpecificity) : ''}</table>`);
  if (analysis.model) {
    const m = analysis.model;
    sections.push(`<h2>The model alone on the same cases</h2><table><tr><th>operating point</th><th>threshold</th><th>sensitivity</th><th>specificity</th><th>accuracy</th></tr>${([['high sensitivity', m.highSensitivity], ['high specificity', m.highSpecificity]] as const).map(([n, x]) => `<tr><td>${n}</td><td>${x.threshold}</td><td>${pct(x.sensitivity)}</td><td>${pct(x.specificity)}</td><td>${pct(x.accuracy)}</td></tr>`).join('')}</table>`);
  }
  for (const [field, values] of Object.entries(analysis.subgroups)) {
    sections.push(`<h2>By subgroup: ${escape(field)}</h2><table>${armHeader}${Object.entries(values).map(([value, s]) => armRows(`${field} = ${value} (${s.cases} cases, ${s.fractureCases} fracture)`, s.readers)).join('')}</table>`
      + (Object.values(values).some((s) => s.model) ? `<table><tr><th>${escape(field)}</th><th>model sensitivity (high-sens. point)</th><th>model specificity (high-spec. point)</th></tr>${Object.entries(values).map(([value, s]) => `<tr><td>${escape(value)}</td><td>${s.model ? pct(s.model.highSensitivity.sensitivity) : '—'}</td><td>${s.model ? pct(s.model.highSpecificity.specificity) : '—'}</td></tr>`).join('')}</table>` : ''));
  }
  if ('error' in analysis.mrmc) {
    sections.push(`<h2>Multi-reader multi-case analysis</h2><p>${escape(analysis.mrmc.error)}</p>`);
  } else {
    const r = analysis.mrmc;
    const modalities = Object.keys(r.modalities);
    const readers = [...new Set(modalities.flatMap((m) => Object.keys(r.modalities[m]?.readers ?? {})))];
    sections.push(`<h2>Multi-reader multi-case analysis (AUC of the confidence scores)</h2><p>${escape(r.mrmc.method)}.</p><table><tr><th>reader</th>${modalities.map((m) => `<th>AUC ${escape(m)}</th>`).join('')}</tr>${readers.map((reader) => `<tr><td>${escape(reader)}</td>${modalities.map((m) => `<td>${(r.modalities[m]?.readers[reader]?.auc ?? Number.NaN).toFixed(4)}</td>`).join('')}</tr>`).join('')}<tr><th>reader-averaged</th>${modalities.map((m) => `<th>${(r.modalities[m]?.readerAveragedAuc ?? Number.NaN).toFixed(4)}</th>`).join('')}</tr></table>`
      + `<p>${escape(r.mrmc.modalities[0] ?? '')} − ${escape(r.mrmc.modalities[1] ?? '')}: ${r.mrmc.difference.toFixed(4)} (95% CI ${r.mrmc.ci95[0].toFixed(4)} to ${r.mrmc.ci95[1].toFixed(4)}); F(${r.mrmc.df1}, ${r.mrmc.df2.toFixed(2)}) = ${r.mrmc.F.toFixed(3)}, p = ${pValue(r.mrmc.p)}.</p>`);
  }
  sections.push(`<h2>Definitions</h2><dl>${Object.entries(analysis.definitions).map(([k, v]) => `<dt>${escape(k)}</dt><dd>${escape(v)}</dd>`).join('')}</dl>`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Reader study ${escape(study.name)}</title><style>body{font:14px/1.45 system-ui,sans-serif;margin:2em;max-width:80em}table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}th{background:#f3f3f3}.n{color:#777;font-size:90%}.note{color:#555}</style></head><body>${sections.join('\n')}</body></html>\n`;
}
