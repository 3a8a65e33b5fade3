import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { Command } from 'commander';
import { defaultModelDir } from '../detector/defaultModel.js';
import type { DetectionResult } from '../detector/DetectionResult.js';
import { detectFiles } from '../detector/detectFile.js';
import { writeDetectionOutputs, type WrittenOutputs } from '../detector/writeDetectionOutputs.js';
import type { OverlayBox } from '../image/renderOverlay.js';
import { describeThrown } from '../errors/DrfdsError.js';
import { openDetectorOrReport, parsePositiveInt } from './detect.js';
import { repositoryRoot } from './packageVersion.js';

interface DemoOptions {
  readonly model: string;
  readonly out: string;
  readonly threads: number;
}

/** The bundled samples (samples/README.md) and the FracAtlas reference boxes of the JPEGs. */
function demoSamples(): { files: string[]; references: Map<string, OverlayBox[]> } {
  const dir = join(repositoryRoot(), 'samples');
  const coco = JSON.parse(readFileSync(join(dir, 'fracatlas-samples.coco.json'), 'utf8')) as {
    images: Array<{ id: number; file_name: string }>;
    annotations: Array<{ image_id: number; bbox: [number, number, number, number] }>;
  };
  const references = new Map<string, OverlayBox[]>();
  for (const image of coco.images) {
    references.set(
      image.file_name,
      coco.annotations
        .filter((a) => a.image_id === image.id)
        .map((a) => ({ x: a.bbox[0], y: a.bbox[1], width: a.bbox[2], height: a.bbox[3], label: 'reference', style: 'reference' as const })),
    );
  }
  return { files: [join(dir, 'RG2_JPLY.dcm'), ...coco.images.map((image) => join(dir, image.file_name))], references };
}

const escapeHtml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The demo page: one card per image with its overlay, decision, probability and boxes. */
export function demoHtml(entries: ReadonlyArray<{ result: DetectionResult; written: WrittenOutputs; references: number }>, outDir: string): string {
  const first = entries[0]?.result.model;
  const untrained = entries.some((e) => !e.result.model.trained);
  const cards = entries.map(({ result, written, references }) => {
    const rows = result.findings
      .map((f, i) => `<tr><td>${i + 1}</td><td>${f.score.toFixed(3)}</td><td>${f.operatingPoint === 'high-specificity' ? 'solid' : 'dotted'}</td><td>${f.box.x.toFixed(0)}, ${f.box.y.toFixed(0)}, ${f.box.width.toFixed(0)} × ${f.box.height.toFixed(0)} px${f.boxMm ? ` (${f.boxMm.width.toFixed(1)} × ${f.boxMm.height.toFixed(1)} mm${f.boxMm.calibrated ? '' : ', detector plane'})` : ''}</td></tr>`)
      .join('');
    return `<section class="card">
<h2>${escapeHtml(basename(result.file))} <span class="decision ${result.decision.replace(' ', '-')}">${escapeHtml(result.decision)}</span></h2>
<p>probability ${result.probability.toFixed(3)} · ${result.image.width}×${result.image.height} ${result.image.source.toUpperCase()} · ${result.findings.length} boxes ≥ ${result.thresholds.highSensitivity}${references ? ` · ${references} reference box${references > 1 ? 'es' : ''} (FracAtlas)` : ''} · ${result.timingsMs.total.toFixed(0)} ms</p>
<a href="${escapeHtml(relative(outDir, written.overlay))}"><img src="${escapeHtml(relative(outDir, written.overlay))}" alt="overlay of ${escapeHtml(basename(result.file))}"></a>
<details><summary>boxes and files</summary><table><tr><th>#</th><th>score</th><th>drawn</th><th>box (x, y, w × h)</th></tr>${rows}</table>
<p><a href="${escapeHtml(relative(outDir, written.json))}">JSON result</a>${written.sr ? ` · <a href="${escapeHtml(relative(outDir, written.sr))}">DICOM SR</a> · <a href="${escapeHtml(relative(outDir, written.gsps!))}">presentation state</a>` : ''}</p></details>
</section>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>DR-FDS demo</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5rem; background: #111; color: #eee; }
a { color: #7cc8ff; } .card { background: #1c1c1c; border-radius: 8px; padding: 1rem; margin-bottom: 1.5rem; }
img { max-width: 100%; max-height: 80vh; display: block; } table { border-collapse: collapse; } td, th { padding: 0.15rem 0.6rem; text-align: left; }
.decision { font-size: 0.8em; padding: 0.1rem 0.5rem; border-radius: 4px; } .fracture { background: #b3261e; } .doubt { background: #9a7400; } .no-fracture { background: #2e6b30; }
.warning { background: #5c1a1a; border: 2px solid #ff4020; padding: 0.8rem; border-radius: 6px; font-weight: bold; }
.legend span { margin-right: 1.2rem; }
</style></head><body>
<h1>DR-FDS demo</h1>
<p><strong>Research software, not a medical device.</strong> Model: ${escapeHtml(first ? `${first.name} ${first.version} (sha256 ${first.sha256.slice(0, 12)}…)` : 'none')}.</p>
${untrained ? '<p class="warning">This model is an UNTRAINED placeholder (model.json training.trained = false): its boxes and probabilities are random and mean nothing. Install a trained model package and run again with --model.</p>' : ''}
<p class="legend"><span style="color:rgb(255,64,32)">━ solid: box ≥ high-specificity threshold</span><span style="color:rgb(255,200,0)">┅ dotted: box ≥ high-sensitivity threshold</span><span style="color:rgb(0,190,255)">╍ dashed blue: FracAtlas reference box</span></p>
${cards.join('\n')}
<p>Sample images: FracAtlas (Abedeen et al., Scientific Data 10, 521 (2023), doi:10.1038/s41597-023-02432-4, CC BY 4.0) and a CR hip radiograph from public DICOM test data; see samples/README.md.</p>
</body></html>
`;
}

/** Runs the default (or given) model on the bundled samples and writes overlays + index.html; returns the exit status. */
export async function runDemo(options: DemoOptions): Promise<number> {
  const outDir = resolve(options.out);
  const { files, references } = demoSamples();
  const detector = await openDetectorOrReport(options.model, options.threads);
  if (detector === undefined) return 2;
  await mkdir(outDir, { recursive: true });
  process.stderr.write(`drfds demo: running ${detector.model.name} ${detector.model.version} on ${files.length} sample radiographs from samples/ …\n`);
  const entries: Array<{ result: DetectionResult; written: WrittenOutputs; references: number }> = [];
  let failed = 0;
  try {
    let index = 0;
    for await (const outcome of detectFiles(detector, files, (path) => relative(repositoryRoot(), path))) {
      index += 1;
      const { file } = outcome;
      try {
        if ('error' in outcome) throw outcome.error;
        const { detection } = outcome;
        const refs = references.get(basename(file)) ?? [];
        const written = await writeDetectionOutputs(outDir, basename(file).replace(/\.[^.]+$/, ''), detection, refs);
        entries.push({ result: detection.result, written, references: refs.length });
        process.stderr.write(`drfds demo: [${index}/${files.length}] ${basename(file)}: ${detection.result.decision} (p = ${detection.result.probability.toFixed(2)}, ${(detection.result.timingsMs.total / 1000).toFixed(1)} s)\n`);
      } catch (error) {
        failed += 1;
        process.stderr.write(`drfds demo: [${index}/${files.length}] ${basename(file)} failed: ${describeThrown(error)}\n`);
      }
    }
  } finally {
    await detector.release();
  }
  const page = join(outDir, 'index.html');
  await writeFile(page, demoHtml(entries, outDir));
  if (!detector.model.trained) process.stderr.write(`drfds demo: warning: the model is an UNTRAINED placeholder; the boxes are random.\n`);
  process.stdout.write(`DR-FDS demo written to ${page}\n`);
  return failed > 0 ? 1 : 0;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the shipped model on the bundled sample radiographs and write overlays and an HTML page')
    .option('-m, --model <dir>', 'model package folder', defaultModelDir())
    .option('-o, --out <dir>', 'output folder', 'drfds-demo')
    .option('--threads <n>', 'onnxruntime intra-op threads', parsePositiveInt, availableParallelism())
    .addHelpText('after', '\nOpen <out>/index.html in a browser. The samples and their licences: samples/README.md.')
    .action(async (options: DemoOptions) => {
      process.exitCode = await runDemo(options);
    });
}
