/**
 * `npm run bench [name ...]`: runs the benchmark modules in scripts/bench/ (each exports `run()`), and writes each
 * one's section into docs/benchmarks.md, replacing that section from an earlier run. The machine and date head
 * every section, so numbers are never read without their context.
 */
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, basename } from 'node:path';
import { cpus, totalmem } from 'node:os';
import { pathToFileURL } from 'node:url';

export interface BenchSection {
  /** Heading of the section in docs/benchmarks.md; must be unique across modules. */
  title: string;
  /** Markdown body: tables with the measurement and its anchor side by side. */
  markdown: string;
}

const root = join(import.meta.dirname, '..');
const benchDir = join(root, 'scripts', 'bench');
const docPath = join(root, 'docs', 'benchmarks.md');

function machineLine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
}

function replaceSection(doc: string, section: BenchSection, machine: string): string {
  const heading = `## ${section.title}`;
  const body = `${heading}\n\n_Machine: ${machine}._\n\n${section.markdown.trim()}\n`;
  const start = doc.indexOf(`${heading}\n`);
  if (start === -1) return `${doc.trimEnd()}\n\n${body}`;
  const next = doc.indexOf('\n## ', start + heading.length);
  return `${doc.slice(0, start)}${body}${next === -1 ? '' : doc.slice(next)}`;
}

async function main(): Promise<void> {
  const wanted = new Set(process.argv.slice(2));
  const modules = readdirSync(benchDir)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
    .filter((file) => wanted.size === 0 || wanted.has(basename(file, '.ts')))
    .sort();
  let doc = existsSync(docPath)
    ? readFileSync(docPath, 'utf8')
    : '# Benchmarks\n\nWritten by `npm run bench`; each section names the machine and date it was measured on.\n';
  const machine = machineLine();
  for (const file of modules) {
    console.log(`bench: ${file}`);
    const mod = (await import(pathToFileURL(join(benchDir, file)).href)) as { run: () => Promise<BenchSection | BenchSection[]> };
    const result = await mod.run();
    for (const section of Array.isArray(result) ? result : [result]) {
      doc = replaceSection(doc, section, machine);
      console.log(section.markdown);
    }
    writeFileSync(docPath, doc);
  }
  console.log(`bench: wrote ${docPath}`);
}

await main();
