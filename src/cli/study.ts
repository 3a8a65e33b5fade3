import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { AuthStore } from '../auth/index.js';
import { DrfdsError } from '../errors/DrfdsError.js';
import { isPostgresUrl, openSqlDatabase, type SqlDatabase } from '../storage/sqlDatabase.js';
import { analyzeStudy, studyImrmc, type StudyAnalysis } from '../study/analysis/studyAnalysis.js';
import { studyReportHtml } from '../study/analysis/studyReportHtml.js';
import { formatImrmc, parseImrmc } from '../study/imrmc/imrmcFormat.js';
import { orMrmc } from '../study/mrmc/orMrmc.js';
import { buildMrmcReport, mrmcReportMarkdown } from '../study/analysis/mrmcReport.js';
import { StudyStore } from '../study/store/StudyStore.js';
import { consensusCoco } from '../study/consensus/consensus.js';

interface DatabaseOptions { database?: string; db?: string; dataDir?: string }

/**
 * The service's database: `--database URL|FILE` (a `postgres://…` connection string or a SQLite file), `--db FILE`,
 * else the `DRFDS_DATABASE_URL` environment variable, else `DIR/drfds.sqlite` of `--data-dir DIR` (default
 * `drfds-data`, as `drfds serve`).
 */
export function databasePath(options: DatabaseOptions, env: NodeJS.ProcessEnv = process.env): string {
  const explicit = options.database ?? options.db;
  if (explicit !== undefined && explicit !== '') return explicit;
  const fromEnv = env.DRFDS_DATABASE_URL;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return join(options.dataDir ?? 'drfds-data', 'drfds.sqlite');
}

/** The database target for messages: a connection string without its password. */
export const describeDatabase = (target: string): string => (isPostgresUrl(target) ? target.replace(/(\/\/[^:@/]*):[^@/]*@/, '$1:…@') : target);

async function openStores(options: DatabaseOptions): Promise<{ db: SqlDatabase; auth: AuthStore; studies: StudyStore }> {
  const db = openSqlDatabase(databasePath(options));
  const auth = new AuthStore(db);
  const studies = new StudyStore(db);
  try {
    await auth.ready();
    await studies.ready();
  } catch (error) {
    await db.close().catch(() => undefined);
    throw new DrfdsError('study/database', `cannot open the database ${describeDatabase(databasePath(options))}: ${(error as Error).message}`);
  }
  return { db, auth, studies };
}

/** report.json of `drfds study analyze STUDY`: the MRMC keys of the iMRMC mode at the top, then the reader-study tables. */
export function studyReportJson(analysis: StudyAnalysis): Record<string, unknown> {
  const mrmc = 'error' in analysis.mrmc ? { mrmc: analysis.mrmc } : { modalities: analysis.mrmc.modalities, cases: analysis.mrmc.cases, mrmc: analysis.mrmc.mrmc };
  const { mrmc: _ignored, ...rest } = analysis;
  return { ...mrmc, ...rest };
}

function withDatabaseOptions(command: Command): Command {
  return command
    .option('--database <url>', 'the service database: a postgres://user:pass@host:5432/db connection string or a SQLite file (default: DRFDS_DATABASE_URL, else --data-dir)')
    .option('--db <file>', 'the service database (SQLite file; same as --database FILE)')
    .option('--data-dir <dir>', 'the service data folder; its drfds.sqlite is used (default drfds-data)');
}

export function registerStudy(program: Command): void {
  const study = program.command('study').description('reader studies: export and analysis of unaided vs aided reads');
  withDatabaseOptions(study
    .command('analyze [study]')
    .description('analyse a study of this service (id or name), or any reads in iMRMC format with --imrmc')
    .option('--imrmc <file>', 'reads in iMRMC input format (truth rows have reader id -1): multi-reader multi-case analysis only')
    .requiredOption('--out <dir>', 'folder for report.json and report.md / report.html'))
    .action(async (studyRef: string | undefined, options: DatabaseOptions & { imrmc?: string; out: string }) => {
      mkdirSync(options.out, { recursive: true });
      if (options.imrmc !== undefined) {
        let text: string;
        try {
          text = readFileSync(options.imrmc, 'utf8');
        } catch (error) {
          throw new DrfdsError('study/read-failed', `cannot read ${options.imrmc}: ${(error as Error).message}`);
        }
        const report = buildMrmcReport(orMrmc(parseImrmc(text, basename(options.imrmc))));
        writeFileSync(join(options.out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
        writeFileSync(join(options.out, 'report.md'), mrmcReportMarkdown(report));
        console.log(`drfds: wrote ${join(options.out, 'report.json')} and report.md`);
        return;
      }
      if (studyRef === undefined) throw new DrfdsError('study/usage', 'name a study (id or name) or give --imrmc FILE');
      const { db, auth, studies } = await openStores(options);
      try {
        const analysis = await analyzeStudy(studies, auth, (await studies.findStudy(studyRef)).id);
        writeFileSync(join(options.out, 'report.json'), `${JSON.stringify(studyReportJson(analysis), null, 2)}\n`);
        writeFileSync(join(options.out, 'report.html'), studyReportHtml(analysis));
        if (!('error' in analysis.mrmc)) writeFileSync(join(options.out, 'report.md'), mrmcReportMarkdown(analysis.mrmc));
        console.log(`drfds: wrote ${join(options.out, 'report.json')} and report.html`);
      } finally {
        await db.close();
      }
    });
  withDatabaseOptions(study
    .command('export <study>')
    .description('write a study\'s reads in iMRMC input format (score = confidence 0-100; modalities unaided, aided)')
    .requiredOption('--imrmc <file>', 'output file'))
    .action(async (studyRef: string, options: DatabaseOptions & { imrmc: string }) => {
      const { db, auth, studies } = await openStores(options);
      try {
        writeFileSync(options.imrmc, formatImrmc(await studyImrmc(studies, auth, (await studies.findStudy(studyRef)).id)));
        console.log(`drfds: wrote ${options.imrmc}`);
      } finally {
        await db.close();
      }
    });
  withDatabaseOptions(study
    .command('consensus <study>')
    .description('export the consensus reference standard of a study (readers\' session-1 boxes, admin decisions) as COCO')
    .requiredOption('--coco <file>', 'output COCO JSON'))
    .action(async (studyRef: string, options: DatabaseOptions & { coco: string }) => {
      const { db, auth, studies } = await openStores(options);
      try {
        const coco = await consensusCoco(studies, auth, (await studies.findStudy(studyRef)).id);
        writeFileSync(options.coco, `${JSON.stringify(coco, null, 2)}\n`);
        console.log(`drfds: wrote ${options.coco} (${coco.images.length} images, ${coco.annotations.length} boxes)`);
      } finally {
        await db.close();
      }
    });
  withDatabaseOptions(study.command('list').description('the studies of this service, with their progress'))
    .action(async (options: DatabaseOptions) => {
      const { db, studies } = await openStores(options);
      try {
        for (const s of await studies.listStudies()) {
          const readers = await studies.readerIds(s.id);
          let done = 0;
          for (const id of readers) if ((await studies.getSession(s.id, id, 2))?.completedAt) done += 1;
          console.log(`${s.id}\t${s.name}\t${s.status}\t${(await studies.cases(s.id)).length} cases\t${readers.length} readers (${done} finished both sessions)`);
        }
      } finally {
        await db.close();
      }
    });
  withDatabaseOptions(study
    .command('add-user <username>')
    .description('create an account (the first admin, or readers); the password is read from DRFDS_PASSWORD or stdin')
    .option('--role <role>', 'admin or reader', 'reader')
    .option('--group <group>', 'reader group, e.g. resident or attending')
    .option('--display-name <name>', 'name shown in the app'))
    .action(async (username: string, options: DatabaseOptions & { role: string; group?: string; displayName?: string }) => {
      const password = process.env.DRFDS_PASSWORD ?? readFileSync(0, 'utf8').replace(/\r?\n$/, '');
      const { db, auth } = await openStores(options);
      try {
        const user = await auth.createUser({ username, password, role: options.role as 'reader', group: options.group ?? null, displayName: options.displayName ?? username });
        console.log(`drfds: created ${user.role} ${user.username} (id ${user.id})`);
      } finally {
        await db.close();
      }
    });
}
