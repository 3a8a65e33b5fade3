import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { chromium, type Page } from 'playwright-core';
import { analyzeStudy } from '../analysis/studyAnalysis.js';
import type { SessionNumber, StudyBox, StudyCase } from '../domain/types.js';
import { fracatlas, liveClock, studyService } from '../testing/studyFixture.js';

const chromiumPath = process.env.DRFDS_CHROMIUM ?? '/usr/bin/chromium';
/** Screenshots land here (kept after the test, to look at): DRFDS_E2E_SCREENSHOTS or a fresh temp folder. */
const screenshotDir = process.env.DRFDS_E2E_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), 'drfds-e2e-shots-'));

type Call = { yes: boolean; confidence?: number; draw?: 'ref' | 'off'; acceptModel?: boolean };
// By case: P1 P2 (fracture), N1 N2 (fracture-free), in the data set's order; each reader sees them in their own order.
const design: Record<'alice' | 'bob', Record<SessionNumber, Call[]>> = {
  alice: {
    1: [{ yes: true, confidence: 80, draw: 'ref' }, { yes: false }, { yes: true, confidence: 40, draw: 'off' }, { yes: false }],
    2: [{ yes: true, confidence: 90, draw: 'ref' }, { yes: true, confidence: 70, acceptModel: true }, { yes: false }, { yes: false }],
  },
  bob: {
    1: [{ yes: true, confidence: 70, draw: 'ref' }, { yes: true, confidence: 60, draw: 'ref' }, { yes: false }, { yes: false }],
    2: [{ yes: true, confidence: 80, draw: 'ref' }, { yes: true, confidence: 65 }, { yes: true, confidence: 50 }, { yes: false }],
  },
};

test('reader study in Chromium: two readers, unaided then aided after washout/override, model boxes, analysis', { skip: existsSync(chromiumPath) ? false : `no Chromium at ${chromiumPath} (apt-get install chromium)`, timeout: 120_000 }, async (t) => {
  mkdirSync(screenshotDir, { recursive: true });
  t.diagnostic(`screenshots in ${screenshotDir}`);
  const dir = mkdtempSync(join(tmpdir(), 'drfds-e2e-'));
  const clock = liveClock();
  const service = await studyService({ dbPath: join(dir, 'drfds.sqlite'), clock });
  const root = new Hono();
  root.route('/study', service.app);
  const server = serve({ fetch: root.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/study/`;
  const profile = mkdtempSync(join(tmpdir(), 'drfds-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const browserErrors: string[] = [];
  page.on('pageerror', (error) => browserErrors.push(error.message));
  /** Waits until the element's text matches (the browser evaluates the expression; this file has no DOM types). */
  const waitText = (selector: string, pattern: RegExp) => page.waitForFunction(`(document.querySelector(${JSON.stringify(selector)})?.textContent ?? '').match(${pattern.toString()}) !== null`);
  const shot = (name: string) => page.screenshot({ path: join(screenshotDir, `${name}.png`) });
  const { studies, users } = service;

  const login = async (username: string, password: string): Promise<void> => {
    await page.goto(base);
    await page.fill('#username', username);
    await page.fill('#password', password);
    await page.click('#login-button');
    await waitText('#who', username === 'admin' ? /admin/ : username === 'alice' ? /Alice/ : /Bob/);
  };
  const logout = async (): Promise<void> => {
    await page.click('#logout');
    await page.waitForSelector('#login-form');
  };

  try {
    // ——— admin: create the study from FracAtlas, run the (tiny, untrained) model, add both readers, start ———
    await login('admin', 'admin-password');
    await page.fill('#create-study [name=name]', 'e2e hip');
    await page.fill('#create-study [name=annotations]', fracatlas.annotations);
    await page.fill('#create-study [name=images]', fracatlas.images);
    await page.fill('#create-study [name=whereField]', 'hip');
    await page.fill('#create-study [name=whereValue]', '1');
    await page.fill('#create-study [name=maxPositive]', '2');
    await page.fill('#create-study [name=maxNegative]', '2');
    await page.fill('#create-study [name=subgroupFields]', 'hardware');
    await page.click('#create-study-button');
    await page.waitForSelector('#study-title');
    const studyId = (await studies.listStudies())[0]?.id as number;
    await page.click('#run-model');
    await waitText('#study-status', /model output for 4/);
    for (const name of ['alice', 'bob']) {
      await page.selectOption('#reader-select', name);
      await page.click('#add-reader');
      await page.waitForSelector(`tr[data-reader=${name}]`);
    }
    await page.click('#start-study');
    await waitText('#study-status', /Status: started/);
    await shot('01-admin-study-started');
    await logout();

    const cases = await studies.cases(studyId);
    const ordered = [...cases.filter((c) => c.truth === 1), ...cases.filter((c) => c.truth === 0)];
    assert.equal(ordered.length, 4);

    /** Image pixel → page coordinates of the viewer canvas at its fitted view (device pixel ratio 1). */
    const toPage = async (c: StudyCase, x: number, y: number): Promise<{ x: number; y: number }> => {
      const box = await page.locator('#viewer-canvas').boundingBox();
      assert.ok(box);
      const scale = Math.min(box.width / c.width, box.height / c.height);
      return { x: box.x + (box.width - c.width * scale) / 2 + x * scale, y: box.y + (box.height - c.height * scale) / 2 + y * scale };
    };
    const drawBox = async (c: StudyCase, b: StudyBox): Promise<void> => {
      const a = await toPage(c, b.x, b.y);
      const z = await toPage(c, b.x + b.width, b.y + b.height);
      await page.mouse.move(a.x, a.y);
      await page.mouse.down();
      await page.mouse.move((a.x + z.x) / 2, (a.y + z.y) / 2, { steps: 3 });
      await page.mouse.move(z.x, z.y, { steps: 3 });
      await page.mouse.up();
    };

    const readSession = async (name: 'alice' | 'bob', session: SessionNumber): Promise<void> => {
      const user = users[name];
      await page.click(`#open-${studyId}-${session}`);
      for (let k = 0; k < 4; k += 1) {
        await waitText('#viewer-info', /zoom/);
        const next = (await studies.progress(studyId, user.id, session)).nextCaseId as number;
        const index = ordered.findIndex((c) => c.id === next);
        const c = ordered[index] as StudyCase;
        const call = design[name][session][index] as Call;
        assert.equal(await page.textContent('#case-title'), `Case ${k + 1} of 4`);
        if (session === 1) assert.equal(await page.locator('#model-list').count(), 0, 'no model output in session 1');
        else {
          const modelBoxes = c.model?.boxes.length ?? 0;
          await page.waitForFunction(`document.querySelectorAll('#model-list li').length === ${modelBoxes}`);
          if (call.acceptModel && modelBoxes > 0) await page.locator('#model-list .accept-model').first().click();
        }
        if (name === 'alice' && session === 1 && k === 0) {
          // Exercise the viewer: invert, window/level by right-drag, zoom, then look at it.
          await page.keyboard.press('i');
          const centre = await toPage(c, c.width / 2, c.height / 2);
          await page.mouse.move(centre.x, centre.y);
          await page.mouse.down({ button: 'right' });
          await page.mouse.move(centre.x - 40, centre.y + 20, { steps: 4 });
          await page.mouse.up({ button: 'right' });
          await page.mouse.wheel(0, -300);
          await page.waitForTimeout(100);
          await shot(`02-${name}-s${session}-viewer-inverted-zoomed`);
          await page.keyboard.press('r');
          // A reload mid-case resumes the same case and keeps the time already spent on it.
          await page.waitForTimeout(1500);
          await page.reload();
          await waitText('#viewer-info', /zoom/);
          assert.equal((await studies.progress(studyId, user.id, session)).nextCaseId, c.id);
        }
        if (call.draw === 'ref') await drawBox(c, c.referenceBoxes[0] as StudyBox);
        if (call.draw === 'off') await drawBox(c, { x: 5, y: 5, width: 60, height: 60 });
        if (call.yes) await page.fill('#confidence-value', String(call.confidence));
        else await page.check('#no-fracture');
        if (session === 2 && k === 0) await shot(`03-${name}-aided-model-boxes`);
        if (session === 2 && call.acceptModel) await shot(`03b-${name}-aided-model-box-accepted`);
        if (session === 1 && k === 1) await shot(`04-${name}-unaided-case`);
        await page.click('#submit-read');
        await page.waitForFunction(`document.getElementById('session-done') !== null || document.getElementById('case-title')?.textContent === 'Case ${k + 2} of 4'`);
      }
      await page.waitForSelector('#session-done');
      await page.goto(base);
      await page.waitForSelector('.study');
    };

    // ——— readers, unaided; the aided session is refused before the washout ———
    await login('alice', 'alice-password');
    await readSession('alice', 1);
    await page.click(`#open-${studyId}-2`);
    await waitText('#message', /washout/);
    await shot('05-alice-aided-refused');
    await logout();
    await login('bob', 'bob-password');
    await readSession('bob', 1);
    await logout();

    // ——— admin override for Alice, with a reason ———
    await login('admin', 'admin-password');
    await page.goto(`${base}#/admin/study/${studyId}`);
    await page.fill('tr[data-reader=alice] .override-reason', 'e2e test: reader unavailable after the washout');
    await page.click('tr[data-reader=alice] .override-button');
    await waitText('tr[data-reader=alice]', /overridden/);
    await shot('06-admin-override');
    await logout();
    assert.ok((await studies.auditLog(studyId)).some((e) => e.action === 'session.override-washout' && (e.detail as { reason: string }).reason.startsWith('e2e test')));

    // ——— aided: Alice by override now; Bob after the washout has passed ———
    await login('alice', 'alice-password');
    await readSession('alice', 2);
    await logout();
    clock.advanceDays(30.1);
    await login('bob', 'bob-password');
    await readSession('bob', 2);
    await shot('07-bob-home-done');
    await logout();
    assert.deepEqual(browserErrors, []);

    // ——— the analysis, against the design table ———
    const a = await analyzeStudy(studies, service.auth, studyId);
    assert.deepEqual([a.all.unaided.sensitivity.count, a.all.unaided.sensitivity.total, a.all.unaided.specificity.count], [3, 4, 3]);
    assert.deepEqual([a.all.aided.sensitivity.count, a.all.aided.specificity.count, a.all.aided.accuracy.count], [4, 3, 7]);
    assert.deepEqual(a.all.paired.accuracy.discordant, { firstOnly: 1, secondOnly: 2 });
    const alice = a.readers.find((r) => r.username === 'alice');
    const bob = a.readers.find((r) => r.username === 'bob');
    const refsOfPositives = ordered.slice(0, 2).reduce((n, c) => n + c.referenceBoxes.length, 0);
    // Boxes drawn in the browser on the reference box match it (IoU ≥ 0.5); the "off" box does not.
    assert.deepEqual([alice?.unaided.perBox.precision.count, alice?.unaided.perBox.precision.total, alice?.unaided.perBox.recall.count, alice?.unaided.perBox.recall.total], [1, 2, 1, refsOfPositives]);
    assert.deepEqual([bob?.unaided.perBox.precision.count, bob?.unaided.perBox.precision.total], [2, 2]);
    const reads = await studies.reads(studyId);
    assert.equal(reads.length, 16);
    const accepted = reads.filter((r) => r.acceptedModelBoxes.length > 0);
    assert.equal(accepted.length, (ordered[1]?.model?.boxes.length ?? 0) > 0 ? 1 : 0);
    for (const read of reads) assert.ok(read.readingMs > 0 && read.readingMs < 120_000, `reading time ${read.readingMs} ms`);
    const firstOfAlice = (await studies.getSession(studyId, users.alice.id, 1))?.caseOrder[0];
    const firstAlice = reads.find((r) => r.userId === users.alice.id && r.session === 1 && r.caseId === firstOfAlice);
    assert.ok((firstAlice?.readingMs ?? 0) >= 1500, `time before the reload is kept (${firstAlice?.readingMs} ms)`);
    assert.ok(!('error' in a.mrmc), 'MRMC runs on the complete design');
  } catch (error) {
    await shot('99-failure').catch(() => {});
    throw error;
  } finally {
    await context.close();
    server.close();
    await service.db.close();
    rmSync(profile, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});
