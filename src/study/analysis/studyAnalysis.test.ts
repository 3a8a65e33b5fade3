import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../cli/main.js';
import { R_OUT, runRscript } from '../../eval/testing/rscript.js';
import { parseImrmc } from '../imrmc/imrmcFormat.js';
import { loadStudyCases } from '../setup/loadStudyCases.js';
import { modelOutputsFromPredictions } from '../setup/modelOutputs.js';
import { fracatlas, smallSelection, studyService } from '../testing/studyFixture.js';
import type { StudyBox, StudyCase } from '../domain/types.js';
import { analyzeStudy } from './studyAnalysis.js';

type Call = { yes: boolean; confidence?: number; box?: 'ref' | 'off'; seconds: number };
// The design, by case P1 P2 P3 (fracture) N1 N2 N3 (fracture-free): what each reader says in each session.
const y = (confidence: number, seconds: number, box?: 'ref' | 'off'): Call => ({ yes: true, confidence, seconds, ...(box ? { box } : {}) });
const n = (seconds: number): Call => ({ yes: false, seconds });
const design: Record<'alice' | 'bob', Record<1 | 2, Call[]>> = {
  alice: { 1: [y(80, 10, 'ref'), y(60, 20, 'off'), n(30), n(40), y(40, 50, 'off'), n(60)], 2: [y(90, 8, 'ref'), y(85, 15, 'ref'), y(70, 25, 'ref'), n(31), n(45), n(50)] },
  bob: { 1: [y(70, 12, 'ref'), n(22), n(33), n(44), n(51), n(66)], 2: [y(75, 9, 'ref'), y(65, 14, 'ref'), n(27), y(55, 35, 'off'), n(41), n(52)] },
};

test('study analysis: pooled metrics, McNemar, Wilcoxon, per-box, model, subgroups and MRMC match hand-computed and R values; CLI export/analyze agree', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drfds-analysis-'));
  try {
    const dbPath = join(dir, 'drfds.sqlite');
    const service = await studyService({ dbPath });
    const { studies, clock, users } = service;
    const cases = loadStudyCases(fracatlas.annotations, fracatlas.images, { selection: smallSelection, subgroupFields: ['hardware'] });
    const study = await studies.createStudy({ name: 'analysis', source: fracatlas, subgroupFields: ['hardware'], cases, seed: 'a' }, users.admin.id);
    const stored = await studies.cases(study.id);
    const ordered = [...stored.filter((c) => c.truth === 1), ...stored.filter((c) => c.truth === 0)];
    assert.equal(ordered.length, 6);
    const ref = (c: StudyCase): StudyBox => c.referenceBoxes[0] as StudyBox;
    const off = (c: StudyCase): StudyBox => ({ x: 1, y: 1, width: 12, height: 12 });
    const boxOf = (c: StudyCase): [number, number, number, number] => { const b = c.truth ? ref(c) : off(c); return [b.x, b.y, b.width, b.height]; };
    const modelScores = [0.9, 0.45, 0.2, 0.7, 0.1, 0.35];
    const predictions = ordered.map((c, i) => ({ image_id: c.fields.image_id as number, bbox: boxOf(c), score: modelScores[i] as number }));
    await studies.setModelOutputs(study.id, { name: 'm', version: '1', thresholds: { highSensitivity: 0.3, highSpecificity: 0.6 } }, modelOutputsFromPredictions(predictions, stored, { highSensitivity: 0.3, highSpecificity: 0.6 }), users.admin.id);
    await studies.addReader(study.id, users.alice.id, users.admin.id);
    await studies.addReader(study.id, users.bob.id, users.admin.id);
    await studies.start(study.id, users.admin.id);

    for (const session of [1, 2] as const) {
      for (const name of ['alice', 'bob'] as const) {
        const user = users[name];
        const s = await studies.startSession(study.id, user.id, session);
        for (const caseId of s.caseOrder) {
          const index = ordered.findIndex((c) => c.id === caseId);
          const c = ordered[index] as StudyCase;
          const call = design[name][session][index] as Call;
          await studies.reportTime(study.id, user.id, session, caseId, 0);
          clock.now = new Date(clock.now.getTime() + call.seconds * 1000);
          await studies.submitRead(study.id, user.id, session, caseId, {
            boxes: call.box === 'ref' ? [ref(c)] : call.box === 'off' ? [off(c)] : [],
            confidence: call.yes ? (call.confidence as number) : null,
            noFracture: !call.yes,
            unreportedMs: call.seconds * 1000,
          });
        }
      }
      if (session === 1) clock.advanceDays(30);
    }

    const a = await analyzeStudy(studies, service.auth, study.id);
    const refs = (idx: number[]): number => idx.reduce((sum, i) => sum + (ordered[i] as StudyCase).referenceBoxes.length, 0);
    // Hand counts from the design table above.
    assert.deepEqual([a.all.unaided.sensitivity.count, a.all.unaided.sensitivity.total], [3, 6]);
    assert.deepEqual([a.all.unaided.specificity.count, a.all.unaided.specificity.total], [5, 6]);
    assert.deepEqual([a.all.aided.sensitivity.count, a.all.aided.specificity.count, a.all.aided.accuracy.count], [5, 5, 10]);
    const alice = a.readers.find((r) => r.username === 'alice');
    const bob = a.readers.find((r) => r.username === 'bob');
    assert.deepEqual([alice?.unaided.sensitivity.count, alice?.unaided.specificity.count, alice?.aided.sensitivity.count, alice?.aided.specificity.count], [2, 2, 3, 3]);
    assert.deepEqual([bob?.unaided.sensitivity.count, bob?.unaided.specificity.count, bob?.aided.sensitivity.count, bob?.aided.specificity.count], [1, 3, 2, 2]);
    assert.deepEqual(Object.keys(a.groups), ['attending', 'resident']);
    assert.equal(a.groups.resident?.aided.accuracy.count, 6);
    // McNemar on accuracy: correct unaided only = bob N1; correct aided only = alice P3, alice N2, bob P2.
    assert.deepEqual(a.all.paired.accuracy.discordant, { firstOnly: 1, secondOnly: 3 });
    assert.deepEqual(a.all.paired.sensitivity.discordant, { firstOnly: 0, secondOnly: 2 });
    // Per box: alice unaided drew P1 on the reference (TP), P2 off (FP), N2 off (FP).
    assert.deepEqual([alice?.unaided.perBox.precision.count, alice?.unaided.perBox.precision.total], [1, 3]);
    assert.deepEqual([alice?.unaided.perBox.recall.count, alice?.unaided.perBox.recall.total], [1, refs([0, 1, 2])]);
    assert.deepEqual([alice?.aided.perBox.recall.count, alice?.aided.perBox.precision.count, alice?.aided.perBox.precision.total], [3, 3, 3]);
    // The model: scores 0.9 0.45 0.2 | 0.7 0.1 0.35 with boxes on the reference for fracture cases.
    assert.deepEqual([a.model?.highSensitivity.sensitivity.count, a.model?.highSensitivity.specificity.count, a.model?.highSensitivity.perBox.precision.count, a.model?.highSensitivity.perBox.precision.total], [2, 1, 2, 4]);
    assert.deepEqual([a.model?.highSpecificity.sensitivity.count, a.model?.highSpecificity.specificity.count, a.model?.highSpecificity.perBox.recall.count], [1, 2, 1]);
    // Subgroups partition the reads.
    const hardware = Object.values(a.subgroups.hardware ?? {});
    assert.equal(hardware.reduce((sum, s) => sum + s.readers.unaided.reads, 0), 12);
    assert.equal(hardware.reduce((sum, s) => sum + s.cases, 0), 6);
    // MRMC: alice unaided scores P 80 60 0, N 0 40 0 → AUC 7/9; aided 90 85 70 vs 0 0 0 → 1.
    assert.ok(!('error' in a.mrmc));
    if (!('error' in a.mrmc)) {
      assert.ok(Math.abs((a.mrmc.modalities.unaided?.readers.alice?.auc ?? 0) - 7 / 9) < 1e-12);
      assert.equal(a.mrmc.modalities.aided?.readers.alice?.auc, 1);
      assert.deepEqual(a.mrmc.mrmc.modalities, ['aided', 'unaided']);
    }

    // R as the oracle of the CIs, the McNemar p, the time quantiles and the Wilcoxon test.
    const t = (name: 'alice' | 'bob', s: 1 | 2): number[] => design[name][s].map((c) => c.seconds);
    const unaidedTimes = [...t('alice', 1), ...t('bob', 1)];
    const aidedTimes = [...t('alice', 2), ...t('bob', 2)];
    const r = runRscript([R_OUT,
      'ci <- binom.test(3, 6)$conf.int; out("sens lo", ci[1]); out("sens hi", ci[2])',
      'out("mcnemar p", binom.test(1, 4)$p.value)',
      `u <- c(${unaidedTimes.join(',')}); v <- c(${aidedTimes.join(',')})`,
      'q <- quantile(u, c(0.25, 0.5, 0.75)); out("q25", q[1]); out("q50", q[2]); out("q75", q[3])',
      'w <- suppressWarnings(wilcox.test(u, v, paired = TRUE)); out("w V", w$statistic); out("w p", w$p.value)',
    ].join('\n'));
    const close = (x: number, key: string): void => assert.ok(Math.abs(x - (r.get(key) as number)) < 1e-9, `${key}: ${x} vs R ${r.get(key)}`);
    close(a.all.unaided.sensitivity.ci95[0], 'sens lo');
    close(a.all.unaided.sensitivity.ci95[1], 'sens hi');
    close(a.all.paired.accuracy.pValue, 'mcnemar p');
    close(a.all.time.unaided.p25S, 'q25');
    close(a.all.time.unaided.medianS, 'q50');
    close(a.all.time.unaided.p75S, 'q75');
    close(a.all.paired.time.statistic, 'w V');
    close(a.all.paired.time.pValue, 'w p');

    // The CLI on the same database: export to iMRMC, analyse the study and the export; the MRMC results agree.
    await service.db.close();
    // In process (the CLI's own tests spawn it): main() returns the exit status.
    const run = async (...args: string[]): Promise<void> => assert.equal(await main(['study', ...args]), 0, args.join(' '));
    await run('export', 'analysis', '--db', dbPath, '--imrmc', join(dir, 'reads.imrmc'));
    const exported = parseImrmc(readFileSync(join(dir, 'reads.imrmc'), 'utf8'));
    assert.equal(exported.reads.length, 24);
    assert.equal([...exported.truth.values()].filter((v) => v === 1).length, 3);
    await run('analyze', String(study.id), '--db', dbPath, '--out', join(dir, 'study'));
    await run('analyze', '--imrmc', join(dir, 'reads.imrmc'), '--out', join(dir, 'imrmc'));
    const fromStudy = JSON.parse(readFileSync(join(dir, 'study', 'report.json'), 'utf8')) as { mrmc: { F: number; p: number }; readers: unknown[]; all: { aided: { sensitivity: { count: number } } } };
    const fromImrmc = JSON.parse(readFileSync(join(dir, 'imrmc', 'report.json'), 'utf8')) as { mrmc: { F: number; p: number } };
    assert.equal(fromStudy.mrmc.F, fromImrmc.mrmc.F);
    assert.equal(fromStudy.mrmc.p, fromImrmc.mrmc.p);
    assert.equal(fromStudy.all.aided.sensitivity.count, 5);
    const html = readFileSync(join(dir, 'study', 'report.html'), 'utf8');
    assert.match(html, /<svg/);
    assert.match(html, /By subgroup: hardware/);
    assert.match(html, /Obuchowski/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
