/**
 * `npm run bench serve`: `drfds serve` under load on this machine. 200 FracAtlas radiographs are POSTed to
 * /api/v1/images all at once; the bench records each acknowledgement, each job's completion (from the service's
 * own server-sent events) and the service process's peak memory (VmHWM, worker threads included), then checks
 * that every image was processed once and none was lost. Anchor, same run, same model: the detector called
 * directly (read + detect, one image after another, no service) — what the service adds on top of inference.
 * Then a browser test of the worklist in Chromium (playwright-core): log in, see the 200 rows, open the viewer,
 * and time a live update (a new upload appearing without reload).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchSection } from '../bench.js';
import { repositoryRoot } from '../../src/cli/packageVersion.js';
import { createDetector } from '../../src/detector/Detector.js';
import { detectFile } from '../../src/detector/detectFile.js';
import { databasePath } from '../../src/server/DrfdsService.js';
import { SqliteTokenStore } from '../../src/server/tokens.js';
import { freePort } from '../../src/server/testing/orthanc.js';
import { openSqlite } from '../../src/storage/sqlite.js';

const root = repositoryRoot();
const images = join(root, '..', 'shared', 'data', 'fracatlas', 'images');
const COUNT = Number(process.env.DRFDS_BENCH_SERVE_COUNT ?? 200);
const WORKERS = 2;

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/**
 * The tiny test package by default: this bench measures the service (intake, queue, threads, events), and 200 images
 * through the shipped ResNet model would take longer than a bench run may (see the detect bench for model speed).
 * DRFDS_BENCH_MODEL=models/drfds-hip runs it with the shipped package.
 */
function modelDir(override: string | undefined): { dir: string; label: string } {
  if (override !== undefined && override !== '') return { dir: override, label: override };
  return { dir: join(root, 'fixtures', 'models', 'tiny-random'), label: 'fixtures/models/tiny-random (the tiny test package: this bench measures the service; model speed is in the detect bench)' };
}

async function anchor(model: string, files: string[]): Promise<number> {
  const detector = await createDetector(model, { intraOpNumThreads: 1 });
  await detectFile(detector, files[0]!); // warm-up
  const t0 = performance.now();
  for (const file of files) await detectFile(detector, file);
  const perImage = (performance.now() - t0) / files.length;
  await detector.release();
  return perImage;
}

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}

async function browserTest(base: string, token: string, uniqueCount: number, upload: () => Promise<string>): Promise<string[]> {
  const { chromium } = await import('playwright-core');
  const executablePath = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
  if (executablePath === undefined) return ['Chromium not installed (/usr/bin/chromium): browser test not run'];
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu'] });
  const lines: string[] = [];
  try {
    const page = await browser.newPage();
    const t0 = performance.now();
    await page.goto(`${base}/worklist/`);
    await page.click('#login details summary');
    await page.fill('#login-token input[name=token]', token);
    await page.click('#login-token button');
    // Page functions run in the browser (no DOM types in this Node project's tsconfig, hence the `any`).
    await page.waitForFunction((n: number) => (globalThis as any).document.querySelectorAll('#worklist tbody tr').length >= n, Math.min(uniqueCount, 200), { timeout: 30_000 });
    const loaded = performance.now() - t0;
    const rows = await page.locator('#worklist tbody tr').count();
    const decisions = await page.locator('#worklist tbody tr .badge').allTextContents();
    const counts = decisions.reduce<Record<string, number>>((acc, d) => ({ ...acc, [d]: (acc[d] ?? 0) + 1 }), {});
    lines.push(`login → worklist with ${rows} rows: ${s(loaded)}; badges: ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    await page.selectOption('#order', 'probability');
    await page.waitForTimeout(500);
    const firstProbability = Number(await page.locator('#worklist tbody tr:first-child td:nth-child(3)').textContent());
    const secondProbability = Number(await page.locator('#worklist tbody tr:nth-child(2) td:nth-child(3)').textContent());
    lines.push(`order by probability: first rows ${firstProbability.toFixed(2)} ≥ ${secondProbability.toFixed(2)}: ${firstProbability >= secondProbability ? 'yes' : 'NO'}`);
    const t1 = performance.now();
    await page.locator('#worklist tbody tr:first-child').click();
    await page.waitForFunction(() => {
      const doc = (globalThis as any).document;
      return doc.querySelector('#canvas').width !== 600 && /probability/.test(doc.querySelector('#viewer-title').textContent);
    }, undefined, { timeout: 30_000 });
    lines.push(`viewer (preview PNG + boxes drawn on canvas): ${s(performance.now() - t1)}`);
    await page.selectOption('#order', 'newest');
    await page.waitForTimeout(300);
    const t2 = performance.now();
    const id = await upload();
    await page.waitForSelector(`#worklist tbody tr[data-id="${id}"]`, { timeout: 30_000 });
    const appeared = performance.now() - t2;
    await page.waitForSelector(`#worklist tbody tr[data-id="${id}"]:not([data-decision="queued"]):not([data-decision="running"])`, { timeout: 120_000 });
    lines.push(`live update: a new upload appears in ${s(appeared)} (server-sent events, no reload), its decision ${s(performance.now() - t2)} after upload`);
  } finally {
    await browser.close();
  }
  return lines;
}

export async function run(): Promise<BenchSection> {
  const files = readFileSyncList(COUNT);
  const model = modelDir(process.env.DRFDS_BENCH_MODEL);
  const anchorPerImage = await anchor(model.dir, files.slice(0, 20));

  const work = mkdtempSync(join(tmpdir(), 'drfds-bench-serve-'));
  const port = await freePort();
  const configPath = join(work, 'config.json');
  writeFileSync(configPath, JSON.stringify({
    dataDir: join(work, 'data'), model: model.dir, logLevel: 'warn',
    http: { host: '127.0.0.1', port, maxUploadBytes: 50 * 1024 * 1024 }, dicom: { enabled: false },
    workers: { count: WORKERS, intraOpNumThreads: 1, pollMs: 200 },
  }));
  const db = openSqlite(databasePath(join(work, 'data')));
  const token = await new SqliteTokenStore(db).create('bench');
  const auth = { authorization: `Bearer ${token}` };
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src', 'cli', 'run.ts'), 'serve', '--config', configPath], { stdio: ['ignore', 'ignore', 'inherit'] });
  const base = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; i < 600; i += 1) {
      if (await fetch(`${base}/healthz`).then((r) => r.ok, () => false)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // Completion times from the service's own event stream.
    const doneAt = new Map<string, number>();
    const events = new AbortController();
    const stream = await fetch(`${base}/api/v1/events`, { headers: auth, signal: events.signal });
    const reader = stream.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    void (async () => {
      for (;;) {
        const chunk = await reader.read().catch(() => ({ done: true as const, value: undefined }));
        if (chunk.done) return;
        buffer += decoder.decode(chunk.value, { stream: true });
        let at: number;
        while ((at = buffer.indexOf('\n\n')) >= 0) {
          const message = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          const data = /^data: (.*)$/m.exec(message)?.[1];
          if (data === undefined) continue;
          const event = JSON.parse(data) as { type: string; id?: string; status?: string };
          if (event.type === 'job' && (event.status === 'done' || event.status === 'failed') && event.id) doneAt.set(event.id, performance.now());
        }
      }
    })();

    const bodies = files.map((file) => readFileSync(file));
    const t0 = performance.now();
    const acks = await Promise.all(bodies.map(async (body) => {
      const response = await fetch(`${base}/api/v1/images`, { method: 'POST', headers: { ...auth, 'content-type': 'image/jpeg' }, body });
      const json = (await response.json()) as { id: string };
      return { status: response.status, id: json.id, ackMs: performance.now() - t0 };
    }));
    const accepted = acks.filter((a) => a.status === 202);
    // FracAtlas holds a few byte-identical files: the service answers those with the earlier job (duplicate: true).
    const uniqueIds = new Set(accepted.map((a) => a.id));
    for (let i = 0; i < 6000 && accepted.some((a) => !doneAt.has(a.id)); i += 1) await new Promise((r) => setTimeout(r, 100));
    const tEnd = performance.now();
    const peak = peakRssMiB(child.pid!);
    const counts = db.prepare('SELECT status, count(*) AS n FROM queue_jobs GROUP BY status').all() as Array<{ status: string; n: number }>;
    const doneOnce = db.prepare("SELECT count(*) AS n FROM (SELECT job_id FROM queue_events WHERE event = 'done' GROUP BY job_id HAVING count(*) = 1)").get() as { n: number };
    const latencies = accepted.map((a) => (doneAt.get(a.id) ?? NaN) - t0).sort((a, b) => a - b);
    const ackTimes = acks.map((a) => a.ackMs).sort((a, b) => a - b);
    const lastDone = Math.max(...accepted.map((a) => doneAt.get(a.id) ?? 0)) - t0;
    const throughput = uniqueIds.size / (lastDone / 1000);

    const browser = await browserTest(base, token, uniqueIds.size, async () => {
      const response = await fetch(`${base}/api/v1/images`, { method: 'POST', headers: { ...auth, 'content-type': 'image/jpeg' }, body: readFileSync(readFileSyncList(COUNT + 1)[COUNT]!) });
      return ((await response.json()) as { id: string }).id;
    }).catch((error: Error) => [`browser test failed: ${error.message.split('\n')[0]}`]);
    events.abort();

    const statusLine = counts.map((c) => `${c.status} ${c.n}`).join(', ');
    return {
      title: 'drfds serve under load (200 concurrent uploads)',
      markdown: `Model: ${model.label}. Service: ${WORKERS} inference worker threads × 1 onnxruntime thread, SQLite queue (WAL, synchronous=FULL, fsync of every image before the 202), on ${cpus().length} cores (load average before the run ${loadavg()[0]!.toFixed(1)}). ${COUNT} FracAtlas JPEGs POSTed at once to /api/v1/images.

| | value |
|---|---|
| accepted (202) | ${accepted.length} of ${COUNT} (${uniqueIds.size} distinct images; byte-identical files map to the first job) |
| processed (jobs by status at the end) | ${statusLine}; completed exactly once: ${doneOnce.n} |
| lost (accepted, never finished) | ${[...uniqueIds].filter((id) => !doneAt.has(id)).length} |
| all ${COUNT} acknowledged after | ${s(ackTimes[ackTimes.length - 1] ?? NaN)} (p50 ${s(quantile(ackTimes, 0.5))}) |
| time to result p50 / p95 / max (from the burst) | ${s(quantile(latencies, 0.5))} / ${s(quantile(latencies, 0.95))} / ${s(latencies[latencies.length - 1] ?? NaN)} |
| throughput | **${throughput.toFixed(2)} images/s** (${uniqueIds.size} in ${s(lastDone)}) |
| peak memory of the service process (VmHWM, threads included) | ${peak.toFixed(0)} MiB |
| **anchor**: detector called directly, one thread, no service (read + detect, 20 of the same images) | ${(anchorPerImage / 1000).toFixed(3)} s per image = ${(1000 / anchorPerImage).toFixed(2)} images/s |
| service throughput ÷ anchor | ${(throughput / (1000 / anchorPerImage)).toFixed(2)} × (with ${WORKERS} workers on ${cpus().length} cores) |

Time to result under a burst is queueing: the last of ${COUNT} images waits for the ${COUNT - 1} before it; the worklist puts the likely fractures first regardless.

Browser test of the worklist (Chromium via playwright-core, the real page against this service):

${browser.map((line) => `- ${line}`).join('\n')}
`,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => { child.once('exit', resolve); setTimeout(resolve, 10_000); });
    db.close();
    rmSync(work, { recursive: true, force: true });
  }

  function readFileSyncList(n: number): string[] {
    return readdirSync(images).filter((f) => f.endsWith('.jpg')).sort().slice(0, n).map((f) => join(images, f));
  }
}
