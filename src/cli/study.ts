import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { DrfdsError } from '../errors/DrfdsError.js';
import { parseImrmc } from '../study/imrmc/imrmcFormat.js';
import { orMrmc } from '../study/mrmc/orMrmc.js';
import { buildMrmcReport, mrmcReportMarkdown } from '../study/analysis/mrmcReport.js';

export function registerStudy(program: Command): void {
  const study = program.command('study').description('reader studies: analysis of unaided vs aided reads');
  study
    .command('analyze')
    .description('multi-reader multi-case (Obuchowski–Rockette, Hillis ddf) analysis of reads in iMRMC format')
    .requiredOption('--imrmc <file>', 'reads in iMRMC input format (truth rows have reader id -1)')
    .requiredOption('--out <dir>', 'folder for report.json and report.md')
    .action((options: { imrmc: string; out: string }) => {
      let text: string;
      try {
        text = readFileSync(options.imrmc, 'utf8');
      } catch (error) {
        throw new DrfdsError('study/read-failed', `cannot read ${options.imrmc}: ${(error as Error).message}`);
      }
      const report = buildMrmcReport(orMrmc(parseImrmc(text, basename(options.imrmc))));
      mkdirSync(options.out, { recursive: true });
      writeFileSync(join(options.out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
      writeFileSync(join(options.out, 'report.md'), mrmcReportMarkdown(report));
      console.log(`drfds: wrote ${join(options.out, 'report.json')} and report.md`);
    });
}
